"""``gateway serve`` processes in front of an upstream process: 1 GiB each way with the
gateway's memory measured, and ``--workers 2``."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.processes import GatewayProcess, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GIB = 1024**3
PIECE = b"\xa5" * (1024 * 1024)


@contextmanager
def upstream_process() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.proxy.upstream", str(port), "big"], cwd=ROOT
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def write_config(folder: Path, upstream: str) -> Path:
    config = folder / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            access_log = false
            [plugins.health]
            [plugins.proxy]
            prefix = "/big"
            upstreams = ["{upstream}"]
            """
        ),
        encoding="utf-8",
    )
    return config


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def _wait_upstream(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(url + "/ping"):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise AssertionError("the upstream did not start")


async def test_one_gib_each_way_in_flat_memory(tmp_path: Path) -> None:
    with upstream_process() as upstream:
        gateway = GatewayProcess(write_config(tmp_path, upstream), tmp_path / "gateway.log")
        try:
            await _wait_upstream(upstream)
            await gateway.ready()
            pid = gateway.process.pid
            before = rss_bytes(pid)
            peak = [before]
            stop = asyncio.Event()

            async def watch() -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], rss_bytes(pid))
                    await asyncio.sleep(0.05)

            watcher = asyncio.ensure_future(watch())

            async def upload() -> AsyncIterator[bytes]:
                for _ in range(GIB // len(PIECE)):
                    yield PIECE

            timeout = aiohttp.ClientTimeout(total=240)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(f"{gateway.url}/big/up", data=upload()) as response:
                    echoed = await response.json()
                expected = hashlib.sha256()
                for _ in range(GIB // len(PIECE)):
                    expected.update(PIECE)
                assert echoed["size"] == GIB
                assert echoed["sha256"] == expected.hexdigest()
                received = 0
                async with session.get(f"{gateway.url}/big/stream?size={GIB}") as response:
                    assert response.headers["Content-Length"] == str(GIB)
                    async for piece in response.content.iter_any():
                        received += len(piece)
                assert received == GIB
            stop.set()
            await watcher
            growth = peak[0] - before
            print(f"gateway RSS {before / 2**20:.0f} MiB, peak +{growth / 2**20:.1f} MiB")
            assert growth < 64 * 2**20, f"RSS grew by {growth / 2**20:.0f} MiB"
        finally:
            gateway.stop()


async def test_two_workers_proxy(tmp_path: Path) -> None:
    with upstream_process() as upstream:
        gateway = GatewayProcess(
            write_config(tmp_path, upstream), tmp_path / "gateway.log", "--workers", "2"
        )
        try:
            await _wait_upstream(upstream)
            await gateway.ready()
            async with aiohttp.ClientSession() as session:
                for _ in range(20):
                    async with session.get(f"{gateway.url}/big/x?n=1") as response:
                        assert response.status == 200
                        body = await response.json()
                        assert body["raw_path"] == "/x?n=1"
        finally:
            assert gateway.stop() == 0, gateway.text()
