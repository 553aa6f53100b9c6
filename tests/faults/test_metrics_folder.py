"""The prometheus multi-process folder across worker generations (issue 11: 54 files after
about 13 generations). A real `gateway serve --workers 2`, real SIGHUP reloads, real scrapes.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest

from tests.faults.test_workers_faults import children
from tests.host import plugin_sources
from tests.processes import GatewayProcess

pytestmark = pytest.mark.slow

RELOADS = 4
WHOAMI_COUNT = re.compile(
    r'^gateway_http_request_duration_seconds_count\{(?=[^}]*route="/whoami")'
    r'(?=[^}]*status="200")[^}]*\} (\S+)$',
    re.M,
)


def whoami_answered(scrape: str) -> float:
    return sum(float(value) for value in WHOAMI_COUNT.findall(scrape))


async def test_the_folder_stays_bounded_and_counts_stay_exact_across_reloads(tmp_path: Path):
    (tmp_path / "my_plugins").mkdir()
    (tmp_path / "my_plugins" / "whoami.py").write_text(plugin_sources.WHOAMI)
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            """
            [gateway]
            plugin_dirs = ["my_plugins"]
            shutdown_timeout = 3
            metrics = true
            [plugins.health]
            [plugins.whoami]
            """
        )
    )
    folder = tmp_path / "metrics"
    folder.mkdir()
    gateway = GatewayProcess(
        config,
        tmp_path / "gateway.log",
        "--workers",
        "2",
        env={"PROMETHEUS_MULTIPROC_DIR": str(folder)},
    )
    answered = 0
    scrapes: list[float] = []
    stop = asyncio.Event()
    try:
        await gateway.ready()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:

            async def requests() -> None:
                nonlocal answered
                while not stop.is_set():
                    async with session.get(f"{gateway.url}/whoami") as response:
                        await response.read()
                        assert response.status == 200
                        answered += 1

            async def scrape() -> float:
                async with session.get(f"{gateway.url}/metrics") as response:
                    assert response.status == 200
                    return whoami_answered(await response.text())

            async def scraper() -> None:
                while not stop.is_set():
                    scrapes.append(await scrape())
                    await asyncio.sleep(0.02)

            tasks = [asyncio.create_task(requests()) for _ in range(3)]
            tasks.append(asyncio.create_task(scraper()))
            deadline = time.monotonic() + 40
            for reload in range(1, RELOADS + 1):
                gateway.process.send_signal(signal.SIGHUP)
                while gateway.text().count("reload done") < reload:
                    assert gateway.process.poll() is None, gateway.text()
                    assert time.monotonic() < deadline, gateway.text()
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.3)
            stop.set()
            await asyncio.gather(*tasks)

            # Every old worker has exited (and been archived) once only two remain.
            while len(children(gateway.process.pid)) != 2:
                assert time.monotonic() < deadline, gateway.text()
                await asyncio.sleep(0.1)
            final = await scrape()
            workers = children(gateway.process.pid)
            files = sorted(p.name for p in folder.glob("*.db"))
    finally:
        stop.set()
        code = gateway.stop()
    assert code == 0, gateway.text()
    assert gateway.text().count("Booting worker") == 2 + 2 * RELOADS
    # Counts never went backwards in any scrape, and none was counted twice or lost.
    assert len(scrapes) > 20
    assert all(a <= b for a, b in itertools.pairwise(scrapes)), scrapes
    assert final == answered, (final, answered)
    # Only the live workers', the master's and one archive per type: 10 workers ran.
    owners = {name.rsplit("_", 1)[1].removesuffix(".db") for name in files}
    assert owners <= {str(pid) for pid in workers} | {str(gateway.process.pid), "archive"}, files
    # Per owner: counter, histogram and up to four live gauge modes (livesum, liveall,
    # livemax, and the master's); plus one archive per additive type.
    assert len(files) <= 6 * 3 + 3, files
