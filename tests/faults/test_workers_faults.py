"""`gateway serve --workers 2` under faults: stores down when a worker is replaced, reloads
under keep-alive load, a SIGHUP while the last reload still drains. Real gunicorn processes.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest

from tests.crypto.fake_coingecko import FakeCoinGecko
from tests.faults.servers import PrivateRedis, TcpProxy
from tests.host import plugin_sources
from tests.notes.helpers import drop_notes_tables
from tests.processes import GatewayProcess

pytestmark = pytest.mark.slow

BOOT_TIMEOUT = 30


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (read from /proc)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{pid}$", text, re.M) and not re.search(r"^State:\s+Z", text, re.M):
            found.add(int(status.parent.name))
    return found


async def wait_for(predicate, what: str, gateway: GatewayProcess, within: float = BOOT_TIMEOUT):
    deadline = time.monotonic() + within
    while not await predicate():
        assert gateway.process.poll() is None, f"gateway exited:\n{gateway.text()}"
        assert time.monotonic() < deadline, f"{what}:\n{gateway.text()}"
        await asyncio.sleep(0.1)


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "my_plugins").mkdir(exist_ok=True)
    (tmp_path / "my_plugins" / "whoami.py").write_text(plugin_sources.WHOAMI)
    config = tmp_path / "plugins.toml"
    config.write_text(textwrap.dedent(body))
    return config


@pytest.mark.postgres
async def test_a_worker_replaced_while_redis_and_postgresql_are_down_boots_and_serves(
    tmp_path: Path,
    fake: FakeCoinGecko,
    private_redis: PrivateRedis,
    postgres_url: str,
    postgres_proxy: tuple[TcpProxy, str],
):
    await drop_notes_tables(postgres_url)
    proxy, through_proxy = postgres_proxy
    config = write(
        tmp_path,
        f"""
        [gateway]
        plugin_dirs = ["my_plugins"]
        shutdown_timeout = 2
        [plugins.health]
        [plugins.whoami]
        [plugins.notes]
        database_url = "{through_proxy}"
        connect_timeout = 0.5
        statement_timeout = 1
        [plugins.crypto]
        base_url = "{fake.url}"
        cache = "{private_redis.url}"
        """,
    )
    gateway = GatewayProcess(config, tmp_path / "gateway.log", "--workers", "2")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            await gateway.ready(within=BOOT_TIMEOUT)
            private_redis.kill()
            proxy.black_hole()
            proxy.cut()
            before = children(gateway.process.pid)
            assert len(before) == 2
            victim = min(before)
            os.kill(victim, signal.SIGKILL)

            async def replaced() -> bool:
                now = children(gateway.process.pid)
                return len(now) == 2 and victim not in now

            await wait_for(replaced, "the dead worker was not replaced", gateway)
            newcomer = (children(gateway.process.pid) - before).pop()
            seen: set[int] = set()

            fresh = aiohttp.TCPConnector(force_close=True)  # a new connection per request

            async def newcomer_serves() -> bool:
                async with aiohttp.ClientSession(connector=fresh, connector_owner=False) as new:

                    async def one(i: int) -> None:
                        # Staggered: while one worker blocks, the other accepts.
                        await asyncio.sleep(i * 0.01)
                        url = f"{gateway.url}/whoami"
                        async with new.get(url, params={"block": "0.05"}) as response:
                            assert response.status == 200
                            seen.add((await response.json())["pid"])

                    await asyncio.gather(*(one(i) for i in range(10)))
                    async with new.get(f"{gateway.url}/health/live") as response:
                        assert response.status == 200
                return newcomer in seen

            await wait_for(newcomer_serves, "the replacement never answered", gateway)
            await fresh.close()
            # Crypto serves from memory; notes answers 503 problems; nothing exits.
            async with session.get(
                f"{gateway.url}/v1/crypto/price?ids=bitcoin&vs_currencies=usd"
            ) as r:
                assert r.status == 200
            async with session.get(f"{gateway.url}/notes") as r:
                assert r.status == 503
                assert r.content_type == "application/problem+json"
            await asyncio.sleep(1)
            assert gateway.process.poll() is None
            assert len(children(gateway.process.pid)) == 2
    finally:
        code = gateway.stop()
    text = gateway.text()
    assert code == 0, text
    assert "Worker failed to boot" not in text
    assert "status 768" not in text


async def test_sighup_under_keepalive_load_and_while_draining(tmp_path: Path):
    config = write(
        tmp_path,
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        shutdown_timeout = 5
        metrics = true
        [plugins.health]
        [plugins.whoami]
        """,
    )
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "counter_1.db").write_bytes(b"left by a previous run")
    gateway = GatewayProcess(
        config,
        tmp_path / "gateway.log",
        "--workers",
        "2",
        env={"PROMETHEUS_MULTIPROC_DIR": str(metrics)},
    )
    failures: list[str] = []
    answered = 0
    stop = asyncio.Event()
    try:
        await gateway.ready(within=BOOT_TIMEOUT)

        async def client() -> None:
            nonlocal answered
            # One keep-alive connection per client, reused for every request.
            connector = aiohttp.TCPConnector(limit=1)
            async with aiohttp.ClientSession(connector=connector) as session:
                while not stop.is_set():
                    try:
                        async with session.get(f"{gateway.url}/whoami") as response:
                            await response.read()
                            if response.status != 200:
                                failures.append(f"status {response.status}")
                            answered += 1
                    except aiohttp.ClientError as exc:
                        failures.append(repr(exc))

        async def slow() -> int:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{gateway.url}/whoami", params={"sleep": "3"}) as r,
            ):
                return r.status

        clients = [asyncio.create_task(client()) for _ in range(8)]
        slow_one = asyncio.create_task(slow())  # keeps one old worker draining for a while
        await asyncio.sleep(0.5)
        gateway.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + BOOT_TIMEOUT
        while gateway.text().count("reload done") < 1:
            assert time.monotonic() < deadline, gateway.text()
            await asyncio.sleep(0.05)
        # A second reload while the first one's old workers still drain.
        gateway.process.send_signal(signal.SIGHUP)
        while gateway.text().count("reload done") < 2:
            assert time.monotonic() < deadline, gateway.text()
            await asyncio.sleep(0.05)
        assert await slow_one == 200
        await asyncio.sleep(1.5)
        stop.set()
        await asyncio.gather(*clients)

        async def settled() -> bool:
            return len(children(gateway.process.pid)) == 2

        await wait_for(settled, "workers did not settle to 2", gateway, within=15)
        # The dead workers' live gauges are gone (prometheus-client's mark_process_dead), and
        # the previous run's files were wiped at start, as prometheus-client says to.
        assert not (metrics / "counter_1.db").exists()
        live = {int(p.stem.rsplit("_", 1)[1]) for p in metrics.glob("gauge_live*.db")}
        # (the master imports the plugins too, so it has its own files)
        assert live <= children(gateway.process.pid) | {gateway.process.pid}
    finally:
        stop.set()
        gateway.stop()
    text = gateway.text()
    assert answered > 200
    assert failures == [], failures[:5]
    assert text.count("Booting worker") == 6, text  # 2, then 2 per reload: none stacked


FRAGILE = """
import os

from aiohttp import web
from gateway import PluginInfo, hookimpl, json_response


async def hello(request):
    return json_response({"ok": True})


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="fragile", default_prefix="/fragile")


@hookimpl
def gateway_create_app():
    # A plugin that cannot start while its store is down (unlike the built-in ones).
    if os.path.exists(os.environ["FRAGILE_DOWN"]):
        raise RuntimeError("the fragile store is down")
    app = web.Application()
    app.router.add_get("/", hello)
    return app
"""


async def test_a_replacement_that_fails_to_boot_is_retried_while_the_other_worker_serves(
    tmp_path: Path,
):
    config = write(
        tmp_path,
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        shutdown_timeout = 2
        [plugins.health]
        [plugins.whoami]
        [plugins.fragile]
        """,
    )
    (tmp_path / "my_plugins" / "fragile.py").write_text(FRAGILE)
    down = tmp_path / "fragile-store-down"
    gateway = GatewayProcess(
        config, tmp_path / "gateway.log", "--workers", "2", env={"FRAGILE_DOWN": str(down)}
    )
    failures: list[str] = []
    pids: list[int] = []
    stop = asyncio.Event()
    try:
        async with aiohttp.ClientSession(
            # A new connection per request, so a worker that boots gets its share.
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=aiohttp.ClientTimeout(total=5),
        ) as session:
            await gateway.ready(within=BOOT_TIMEOUT)

            async def both_built() -> bool:
                # One worker answering is not both: the other must have built its plugins
                # before the store goes down, or it fails to boot too and nothing serves.
                return gateway.text().count("mounted fragile at") >= 2

            await wait_for(both_built, "the second worker never built its plugins", gateway)
            before = children(gateway.process.pid)
            assert len(before) == 2

            async def client() -> None:
                while not stop.is_set():
                    try:
                        async with session.get(f"{gateway.url}/whoami") as response:
                            if response.status != 200:
                                failures.append(f"status {response.status}")
                            else:
                                pids.append((await response.json())["pid"])
                    except aiohttp.ClientError as exc:
                        failures.append(repr(exc))
                    await asyncio.sleep(0.01)

            clients = [asyncio.create_task(client()) for _ in range(2)]
            down.touch()
            victim = min(before)
            os.kill(victim, signal.SIGKILL)

            async def retried() -> bool:
                return gateway.text().count("a worker failed to boot (exit code 3)") >= 2

            # The first replacement fails at once, the next one RESPAWN_BACKOFF (5 s) later.
            await wait_for(retried, "no second boot attempt", gateway, within=20)
            survivor = before - {victim}
            answered_during_outage = len(pids)
            assert set(pids) <= survivor | {victim}
            down.unlink()

            async def replaced() -> bool:
                now = children(gateway.process.pid)
                return len(now) == 2 and bool(set(pids[answered_during_outage:]) - before)

            await wait_for(replaced, "no replacement ever served", gateway, within=20)
            stop.set()
            await asyncio.gather(*clients)
            assert gateway.process.poll() is None
    finally:
        stop.set()
        code = gateway.stop()
    text = gateway.text()
    assert code == 0, text
    assert failures == [], failures[:5]
    assert answered_during_outage > 50
    assert "status 768" not in text


# Boots in the master's own check of plugins.toml (``gateway serve`` exits 2 on a config that
# cannot start) but never in a worker: the parent of a worker is ``gateway serve`` itself.
WORKER_FAILS = """
import os

from aiohttp import web
from gateway import PluginInfo, hookimpl


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="fragile", default_prefix="/fragile")


@hookimpl
def gateway_create_app():
    with open(f"/proc/{os.getppid()}/cmdline", "rb") as parent:
        if b"gateway\\0serve" in parent.read():
            raise RuntimeError("the fragile store is down in the workers")
    return web.Application()
"""


def test_a_start_whose_every_worker_fails_to_boot_exits_3(tmp_path: Path):
    # The other side of the retry above: with nothing serving or still booting, the master
    # gives up (exit code 3, docs/deploy.md) instead of retrying for ever.
    config = write(
        tmp_path,
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        [plugins.fragile]
        """,
    )
    (tmp_path / "my_plugins" / "fragile.py").write_text(WORKER_FAILS)
    gateway = GatewayProcess(config, tmp_path / "gateway.log", "--workers", "2")
    try:
        code = gateway.process.wait(BOOT_TIMEOUT)
    finally:
        gateway.stop()
    text = gateway.text()
    assert code == 3, text
    # Each worker says why in one line, as one process does: no traceback for a plugin
    # that cannot start.
    assert "plugin 'fragile' failed to start: RuntimeError: the fragile store is down" in text
    assert "Traceback" not in text, text


async def test_readiness_stays_200_through_a_rolling_reload(tmp_path: Path):
    config = write(
        tmp_path,
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        shutdown_timeout = 2
        accept_grace = 2
        [plugins.health]
        [plugins.whoami]
        """,
    )
    gateway = GatewayProcess(config, tmp_path / "gateway.log", "--workers", "2")
    probes: list[int] = []
    stop = asyncio.Event()
    try:
        await gateway.ready(within=BOOT_TIMEOUT)

        async def prober() -> None:
            # A new connection per probe, as a kubelet's: every worker gets its share.
            connector = aiohttp.TCPConnector(force_close=True)
            async with aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=5)
            ) as session:
                while not stop.is_set():
                    async with session.get(f"{gateway.url}/health/ready") as response:
                        await response.read()
                        probes.append(response.status)
                    await asyncio.sleep(0.01)

        probing = [asyncio.create_task(prober()) for _ in range(3)]
        await asyncio.sleep(0.5)
        gateway.process.send_signal(signal.SIGHUP)
        await gateway.logged("reload done", within=BOOT_TIMEOUT)
        before = set(children(gateway.process.pid))

        async def old_ones_gone() -> bool:
            return len(children(gateway.process.pid)) == 2

        # Until both replaced workers have drained (accept_grace, then their requests).
        await wait_for(old_ones_gone, "the old workers did not exit", gateway, within=20)
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*probing)
        assert len(before) >= 2
        during = list(probes)
        # Shutting down the instance itself still fails readiness, within accept_grace.
        gateway.terminate()
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True)
        ) as session:
            deadline = time.monotonic() + 1.5
            while True:
                async with session.get(f"{gateway.url}/health/ready") as response:
                    if response.status == 503:
                        break
                assert time.monotonic() < deadline, "readiness still 200 while shutting down"
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        code = gateway.stop()
    assert code == 0, gateway.text()
    assert len(during) > 100
    assert during.count(503) == 0, f"{during.count(503)} of {len(during)} probes answered 503"
    assert set(during) == {200}
