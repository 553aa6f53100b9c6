"""An independent HTTP cache, Varnish (Debian's varnishd), in front of the gateway: it keeps
the gateway's answers exactly as long as the gateway says they are fresh.

The gateway sends the origin's ``Cache-Control`` unchanged and ``Age`` beside it (RFC 9111
§4.2.3); a cache that counted the age twice, or none of it, would expire them at another time.
varnishd is found on PATH or at ``GATEWAY_TEST_VARNISHD`` (.ci/run unpacks Debian's package
there: ``apt-get download varnish`` and ``dpkg -x``, no service started).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.cache.conftest import PLUGINS, gateway_config
from tests.cache.origin import CALLS
from tests.processes import free_port

pytestmark = pytest.mark.slow


def _varnishd() -> str:
    found = os.environ.get("GATEWAY_TEST_VARNISHD") or shutil.which("varnishd")
    if found and Path(found).is_file():
        return found
    reason = "varnishd is not installed (set GATEWAY_TEST_VARNISHD; see .ci/run)"
    if os.environ.get("GATEWAY_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def varnish_in_front(tmp_path: Path) -> Iterator[Any]:
    """``start(backend_port)``: varnishd before it on a free port, its URL returned; no grace
    (a stale object is never served), so what Varnish serves is what it holds fresh."""
    binary = _varnishd()
    processes: list[subprocess.Popen[bytes]] = []

    def start(backend_port: int) -> str:
        port = free_port()
        work = tmp_path / "varnish"
        work.mkdir()
        vmods = Path(binary).parents[1] / "lib" / "x86_64-linux-gnu" / "varnish" / "vmods"
        command = [binary, "-F", "-a", f"127.0.0.1:{port}", "-b", f"127.0.0.1:{backend_port}"]
        command += ["-n", str(work), "-s", "malloc,32m", "-p", "default_grace=0"]
        command += ["-p", "default_keep=0"]
        if vmods.is_dir():
            command += ["-p", f"vmod_path={vmods}"]
        log = (tmp_path / "varnish.log").open("w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, (tmp_path / "varnish.log").read_text()
            assert time.monotonic() < deadline, "varnishd did not listen in 20 s"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.05)

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _varnish_hit(headers: Any) -> bool:
    """X-Varnish names two transactions on a hit (this one and the one that stored it)."""
    return len(headers["X-Varnish"].split()) == 2


async def test_varnish_keeps_answers_as_long_as_the_gateway_says(
    gateway_client: Any, origin: TestServer, varnish_in_front: Any
):
    client = await gateway_client(gateway_config(origin, {}), plugins=PLUGINS)
    varnish = varnish_in_front(client.server.port)
    path = "/svc/r/vfresh?cc=max-age%3D4"
    async with aiohttp.ClientSession() as session, asyncio.timeout(30):

        async def through(base: str) -> tuple[Any, bytes]:
            async with session.get(base + path) as response:
                assert response.status == 200
                return response.headers, await response.read()

        gateway_url = str(client.make_url("")).rstrip("/")
        headers, _ = await through(gateway_url)  # the gateway stores it, fresh for 4 s
        assert headers["Cache-Status"].endswith("stored")
        await asyncio.sleep(2.2)
        # Varnish misses, asks the gateway, which answers from its store, 2 s old.
        headers, _ = await through(varnish)
        assert not _varnish_hit(headers)
        assert headers["Cache-Status"].startswith("gateway; hit; ttl=2")
        assert headers["Age"] == "2" and headers["Cache-Control"] == "max-age=4"
        # Varnish holds it for the 2 s left, no more and no less.
        for _ in range(3):
            headers, _ = await through(varnish)
            assert _varnish_hit(headers)
            assert int(headers["Age"]) in (2, 3)
        await asyncio.sleep(2.0)
        headers, body = await through(varnish)
        assert not _varnish_hit(headers), "Varnish served it past the gateway's freshness"
        # ... and the gateway, whose copy is stale too, asked the origin again.
        assert body.startswith(b"vfresh call 2")
        assert origin.app[CALLS]["vfresh"] == 2


async def test_varnish_counts_the_origins_age_once(
    gateway_client: Any, origin: TestServer, varnish_in_front: Any
):
    """An answer the origin says is 30 s old, fresh for 100: fresh for 70 s more in Varnish
    (the issue's bug: Age 36 with max-age=24 made Varnish refuse to store it at all)."""
    client = await gateway_client(gateway_config(origin, {}), plugins=PLUGINS)
    varnish = varnish_in_front(client.server.port)
    url = f"{varnish}/svc/r/vaged?cc=max-age%3D100&age=30"
    async with aiohttp.ClientSession() as session, asyncio.timeout(30):
        for attempt in range(3):
            async with session.get(url) as response:
                await response.read()
                assert response.headers["Cache-Control"] == "max-age=100"
                assert int(response.headers["Age"]) in (30, 31)
                assert _varnish_hit(response.headers) == (attempt > 0)
    assert origin.app[CALLS]["vaged"] == 1
