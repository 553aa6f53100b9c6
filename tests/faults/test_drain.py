"""Stopping without dropping requests: accept-grace, a bounded drain (SIGHUP to one process
reloads it: tests/reload).

Real `gateway serve` processes (single and --workers 2) and real signals.
"""

from __future__ import annotations

import asyncio
import signal
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest

from tests.host import plugin_sources
from tests.processes import GatewayProcess

pytestmark = pytest.mark.slow


def config(tmp_path: Path, **gateway: float) -> Path:
    folder = tmp_path / "my_plugins"
    folder.mkdir(exist_ok=True)
    (folder / "slow.py").write_text(plugin_sources.SLOW)
    settings = "\n".join(f"{key} = {value}" for key, value in gateway.items())
    path = tmp_path / "plugins.toml"
    path.write_text(
        textwrap.dedent(
            """
            [gateway]
            plugin_dirs = ["my_plugins"]
            {settings}
            [plugins.health]
            [plugins.slow]
            """
        ).format(settings=settings)
    )
    return path


async def fresh_get(url: str) -> aiohttp.ClientResponse:
    """One request on a new connection (never a pooled keep-alive one)."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as s, s.get(url) as response:
        await response.read()
        return response


async def test_single_process_grace_and_a_real_shutdown_timeout(tmp_path: Path):
    gateway = GatewayProcess(
        config(tmp_path, accept_grace=1.5, shutdown_timeout=1), tmp_path / "gateway.log"
    )
    try:
        await gateway.ready(within=20)
        async with aiohttp.ClientSession() as session:
            stuck = asyncio.create_task(session.get(f"{gateway.url}/slow?seconds=10"))
            await asyncio.sleep(0.3)
            assert (await fresh_get(f"{gateway.url}/slow?seconds=0")).status == 200
            assert not stuck.done()

            signalled = time.monotonic()
            gateway.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.1)
            # Accept-grace: readiness fails at once, yet new connections are still served,
            # each answer telling keep-alive clients to go elsewhere.
            ready = await fresh_get(f"{gateway.url}/health/ready")
            assert ready.status == 503
            async with (
                aiohttp.ClientSession() as keep_alive,  # asks for nothing to be closed
                keep_alive.get(f"{gateway.url}/slow?seconds=0") as served,
            ):
                assert served.status == 200
                assert served.headers["Connection"] == "close"
            await asyncio.sleep(1.7)
            with pytest.raises(aiohttp.ClientConnectionError):
                await fresh_get(f"{gateway.url}/health/live")  # grace over: not accepting
            # shutdown_timeout is the bound: the 10 s request is answered 503 after 1 s more.
            response = await asyncio.wait_for(stuck, 10)
            took = time.monotonic() - signalled
            assert response.status == 503
            assert response.content_type == "application/problem+json"
            assert "shutdown_timeout" in (await response.json())["detail"]
            assert 2.3 < took < 5, took
        assert gateway.process.wait(10) == 0
    finally:
        gateway.stop()
    text = gateway.text()
    assert "GET /slow?seconds=10 503" in text  # the access log says how it ended
    assert "Traceback" not in text


async def test_workers_fail_readiness_at_once_on_sigterm(tmp_path: Path):
    gateway = GatewayProcess(
        config(tmp_path, accept_grace=1, shutdown_timeout=2),
        tmp_path / "gateway.log",
        "--workers",
        "2",
    )
    try:
        await gateway.ready(within=20)
        gateway.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.2)
        statuses = [(await fresh_get(f"{gateway.url}/health/ready")).status for _ in range(6)]
        assert statuses == [503] * 6  # both workers, within 0.2 s, still accepting
        assert gateway.process.wait(15) == 0
    finally:
        gateway.stop()
