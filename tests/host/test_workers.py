"""`gateway serve --workers N`: real gunicorn workers, signals, reloads and shared metrics."""

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from tests.host import plugin_sources
from tests.processes import GatewayProcess

BOOT_TIMEOUT = 30


class Workers(GatewayProcess):
    """A `gateway serve --workers 2` process group, its log kept in a file."""

    def __init__(self, config: Path, log: Path) -> None:
        super().__init__(config, log, "--workers", "2")

    async def started(self) -> "Workers":
        await self.logged(r"Booting worker", 2, within=BOOT_TIMEOUT)
        await self.ready(within=BOOT_TIMEOUT)
        return self


@pytest.fixture
def workers_config(write_config, plugin_folder):
    plugin_folder(whoami=plugin_sources.WHOAMI)
    return write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        shutdown_timeout = 10
        metrics = true
        [plugins.health]
        [plugins.whoami]
        """
    )


@pytest.fixture
async def workers(workers_config, tmp_path):
    group = Workers(workers_config, tmp_path / "gateway.log")
    try:
        yield await group.started()
    finally:
        group.stop()


async def pids(url: str, count: int) -> list[int]:
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> int:
            # Staggered: a request arriving while one worker blocks is accepted by the other.
            await asyncio.sleep(i * 0.01)
            async with session.get(f"{url}/whoami", params={"block": "0.05"}) as response:
                assert response.status == 200
                return (await response.json())["pid"]

        return await asyncio.gather(*(one(i) for i in range(count)))


async def test_both_workers_answer(workers):
    seen = await pids(workers.url, 40)
    assert len(set(seen)) == 2


async def test_metrics_count_requests_across_workers(workers):
    seen = await pids(workers.url, 30)
    assert len(set(seen)) == 2
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{workers.url}/metrics") as response,
    ):
        assert response.headers["Cache-Control"] == "no-store"
        text = await response.text()
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("gateway_http_request_duration_seconds_count{")
        and 'route="/whoami"' in line
        and 'status="200"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) == 30


async def test_sigterm_lets_a_slow_request_finish(workers):
    async with aiohttp.ClientSession() as session:
        slow = asyncio.create_task(session.get(f"{workers.url}/whoami", params={"sleep": "1.5"}))
        await asyncio.sleep(0.5)
        workers.process.send_signal(signal.SIGTERM)
        response = await asyncio.wait_for(slow, 15)
        assert response.status == 200
    assert workers.process.wait(timeout=20) == 0
    # Each worker's exit is clean: no error about its listening socket (a double close).
    assert "Error while closing socket" not in workers.text()
    assert workers.text().count("Worker exiting") == 2


async def test_sighup_with_a_new_prefix_swaps_without_failing_a_request(workers, workers_config):
    workers_config.write_text(
        workers_config.read_text().replace("[plugins.whoami]", '[plugins.whoami]\nprefix = "/me"')
    )
    failures: list[str] = []
    answered = 0
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        workers.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + BOOT_TIMEOUT
        while "reload done" not in workers.text():
            assert time.monotonic() < deadline, workers.text()
            async with session.get(f"{workers.url}/health/live") as response:
                answered += 1
                if response.status != 200:
                    failures.append(f"{response.status} {await response.text()}")
        # The old workers drained and left.
        await workers.logged(r"Worker exiting", 2, within=BOOT_TIMEOUT)
        async with session.get(f"{workers.url}/me") as response:
            assert response.status == 200
        async with session.get(f"{workers.url}/whoami") as response:
            assert response.status == 404
    assert answered > 0
    assert failures == []


async def test_sighup_with_a_broken_config_keeps_serving(workers, workers_config):
    before = set(await pids(workers.url, 20))
    broken = workers_config.read_text().replace(
        "[plugins.whoami]", '[plugins.whoami]\nprefix = "no-slash"'
    )
    workers_config.write_text(broken)
    workers.process.send_signal(signal.SIGHUP)
    await workers.logged("reload refused", within=BOOT_TIMEOUT)
    assert "plugins.whoami.prefix: 'no-slash' is not a usable URL prefix" in workers.text()
    after = set(await pids(workers.url, 20))
    assert after <= before  # the same workers, still serving
    assert workers.process.poll() is None
