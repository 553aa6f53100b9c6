"""``gateway serve --workers 2`` with the cache on a private redis-server: a hundred concurrent
misses spread over both workers make one origin call; Redis killed, the workers go on
answering (from their own memory), and a purge reaches what every worker stores."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.cache.origin import CALLS
from tests.faults.servers import PrivateRedis
from tests.processes import GatewayProcess

pytestmark = pytest.mark.slow


async def test_two_workers_one_redis_one_origin_call(tmp_path: Path, origin: TestServer):
    redis = PrivateRedis(tmp_path)
    redis.start()
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            shutdown_timeout = 5
            [plugins.svc]
            plugin = "proxy"
            prefix = "/svc"
            upstreams = ["{str(origin.make_url("")).rstrip("/")}"]
            [plugins.cache]
            storage = "{redis.url}"
            apply_to = ["svc"]
            """
        )
    )
    gateway = GatewayProcess(config, tmp_path / "gateway.log", "--workers", "2")
    try:
        await gateway.listening()
        url = f"{gateway.url}/svc/r/herd?cc=max-age%3D60&delay=0.5"
        # One connection per request: the kernel spreads them over both workers' sockets.
        connector = aiohttp.TCPConnector(force_close=True, limit=0)
        async with aiohttp.ClientSession(connector=connector) as session, asyncio.timeout(30):

            async def ask() -> tuple[int, str, bytes]:
                async with session.get(url) as response:
                    return response.status, response.headers["Cache-Status"], await response.read()

            answers = await asyncio.gather(*(ask() for _ in range(100)))
            assert origin.app[CALLS]["herd"] == 1
            assert {status for status, _, _ in answers} == {200}
            assert {body for _, _, body in answers} == {b"herd call 1 lang -\n"}
            members = [member for _, member, _ in answers]
            assert sum(m.endswith("stored") for m in members) == 1

            # Every worker now answers from Redis: a hit wherever the request lands.
            hits = await asyncio.gather(*(ask() for _ in range(20)))
            assert all(member.startswith("gateway; hit") for _, member, _ in hits)

            # Purged through one worker, gone for all.
            async with session.delete(
                f"{gateway.url}/_gateway/plugins/cache/entries", params={"prefix": "/svc/"}
            ) as response:
                assert (await response.json())["purged"] >= 1
            again = await asyncio.gather(*(ask() for _ in range(20)))
            assert origin.app[CALLS]["herd"] == 2
            assert sum(member.endswith("stored") for _, member, _ in again) == 1

            # Redis gone: answers go on, each worker on its own memory; one warning each.
            redis.kill()
            other = f"{gateway.url}/svc/r/down?cc=max-age%3D60"
            for _ in range(10):
                async with session.get(other) as response:
                    assert response.status == 200
                    await response.read()
            assert origin.app[CALLS]["down"] <= 4
    finally:
        code = await asyncio.to_thread(gateway.stop, 15)
        redis.kill()
    log = gateway.text()
    assert code == 0, log
    assert "Traceback" not in log
    assert 1 <= log.count("failed to") <= 2, log  # one warning per worker's outage
