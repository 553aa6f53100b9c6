"""A gateway out of file descriptors: a real process under a low `ulimit -n`, whose descriptors
a plugin of the test's own takes until none is left. Readiness says why (a 503 with the
reason, no bare AssertionError), notes' start-up check reads nothing from disk, the log says
so once, and a metric counts it."""

from __future__ import annotations

import asyncio
import re
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest

from tests.processes import GatewayProcess

pytestmark = pytest.mark.slow

HOG = """
import os

from aiohttp import web
from gateway import PluginInfo, hookimpl, json_response

HELD = []


async def take(request):
    # Every descriptor the process may still open, but `leave`.
    try:
        while True:
            HELD.append(os.open("/dev/null", os.O_RDONLY))
    except OSError:
        pass
    for _ in range(int(request.query.get("leave", "0"))):
        os.close(HELD.pop())
    response = json_response({"held": len(HELD)})
    response.force_close()
    return response


async def release(request):
    while HELD:
        os.close(HELD.pop())
    return json_response({"held": 0})


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="hog", default_prefix="/hog")


@hookimpl
def gateway_create_app():
    app = web.Application()
    app.router.add_get("/take", take)
    app.router.add_get("/release", release)
    return app
"""


async def get(url: str) -> tuple[int, str]:
    # A new connection each time, closed after: the process has none to spare.
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=5)) as s,
        s.get(url) as response,
    ):
        return response.status, await response.text()


async def test_out_of_descriptors_is_a_clear_503_a_log_line_and_a_metric(tmp_path: Path):
    (tmp_path / "my_plugins").mkdir()
    (tmp_path / "my_plugins" / "hog.py").write_text(HOG)
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            """
            [gateway]
            plugin_dirs = ["my_plugins"]
            metrics = true
            [plugins.health]
            [plugins.hog]
            [plugins.notes]
            database_url = "sqlite+aiosqlite:///notes.db"
            """
        )
    )
    gateway = GatewayProcess(config, tmp_path / "gateway.log", cwd=tmp_path, open_files=256)
    process, url, log = gateway.process, gateway.url, gateway.log

    async def until(status: int | None, path: str, within: float = 5) -> str:
        """The answer to ``path`` once its status is ``status`` (None: any). With no descriptor
        to spare, a connection may be reset instead of answered: uvloop (libuv) accepts and
        closes at once a connection that arrives while accept() fails with EMFILE."""
        deadline = time.monotonic() + within
        while True:
            assert process.poll() is None, log.read_text()
            try:
                seen, text = await get(url + path)
                if status is None or seen == status:
                    return text
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, f"no {status} from {path}:\n{log.read_text()}"
            await asyncio.sleep(0.2)

    try:
        await gateway.ready()
        assert (await get(url + "/hog/take?leave=0"))[0] == 200
        # The watch samples once a second; readiness then fails, saying why.
        body = await until(503, "/health/ready", 5)
        assert "out of file descriptors" in body, body
        assert "LimitNOFILE" in body
        # notes' start-up check reads nothing from disk: it passes with no descriptor left.
        health = await until(None, "/health")
        assert '"notes:startup"' in health
        assert "AssertionError" not in health, health
        startup = re.search(r'"notes:startup":\[\{[^]]*\}\]', health)
        assert startup is not None and '"status":"pass"' in startup.group(0), health
        await asyncio.sleep(2.5)  # more samples at the limit: still one log line
        await until(200, "/hog/release")
        await until(200, "/health/ready", 5)
        _, metrics = await get(url + "/metrics")
        counted = re.search(r"^gateway_fd_exhausted_seconds_total (\S+)$", metrics, re.M)
        assert counted is not None and float(counted.group(1)) >= 2, metrics[-2000:]
    finally:
        gateway.stop()
    text = log.read_text()
    assert text.count("out of file descriptors:") == 1, text
    assert "raise the limit (systemd: LimitNOFILE=65536" in text
    assert "file descriptors are free again" in text
    assert "AssertionError" not in text
