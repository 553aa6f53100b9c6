"""Rate limits across processes on Redis, and a Redis that dies mid-run: real `gateway serve`
processes, the machine's Redis for sharing, a private `redis-server` for the outage."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.faults.servers import PrivateRedis
from tests.host.test_workers import Workers
from tests.processes import GatewayProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


def config(tmp_path: Path, storage: str, limits: str, **extra: str) -> Path:
    lines = "".join(f"{k} = {v}\n" for k, v in extra.items())
    path = tmp_path / "plugins.toml"
    path.write_text(
        "[plugins.health]\n"
        # exempt = []: the probe is the path these tests limit.
        f'[plugins.ratelimit]\nlimits = ["{limits}"]\nstorage = "{storage}"\nexempt = []\n'
        f"{lines}"
    )
    return path


async def statuses(url: str, count: int) -> list[int]:
    connector = aiohttp.TCPConnector(force_close=True, limit=50)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> int:
            async with session.get(f"{url}/health/live") as response:
                return response.status

        return await asyncio.gather(*(one() for _ in range(count)))


async def test_two_workers_on_one_redis_admit_exactly_the_limit(
    tmp_path: Path, redis_url: str, redis_namespace: str
) -> None:
    # A generous storage_timeout: on a loaded machine a slow Redis call would otherwise let
    # the request through uncounted (on_storage_error = "allow"), which is not what this
    # test is about.
    path = config(
        tmp_path, redis_url, "25/hour", key_prefix=f'"{redis_namespace}"', storage_timeout="3"
    )
    group = Workers(path, tmp_path / "gateway.log")
    try:
        await group.logged(r"Booting worker", 2)
        await asyncio.sleep(1)  # both workers listening
        seen = await statuses(group.url, 80)
    finally:
        group.stop()
    assert seen.count(200) == 25, collections.Counter(seen)
    assert seen.count(429) == 55


async def test_redis_dying_lets_traffic_through_warns_and_recovers(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    path = config(tmp_path, private_redis.url, "1000/hour", storage_retry="1")
    gateway = await GatewayProcess(path, tmp_path / "gateway.log", cwd=tmp_path).listening()
    url = gateway.url
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/health/live") as answered:
                assert answered.headers["RateLimit"].startswith('"1000/hour";r=999;')
            private_redis.kill()
            for _ in range(20):
                started = time.monotonic()
                async with session.get(f"{url}/health/live") as answered:
                    assert answered.status == 200
                    assert "RateLimit" not in answered.headers
                assert time.monotonic() - started < 2  # never a long wait for a dead store
            async with session.get(f"{url}/health") as health:
                body = await health.json()
                assert health.status == 200
                assert body["checks"]["ratelimit:storage"][0]["status"] == "warn"
                # /health is public: no address of the storage, nor an error quoting it
                assert str(private_redis.port) not in await health.text()
            async with session.get(f"{url}/health/ready") as ready:
                assert ready.status == 200  # a store it can serve without never fails readiness
            private_redis.start()  # back on the same port
            await asyncio.sleep(1.2)  # past storage_retry
            async with session.get(f"{url}/health/live") as answered:
                assert "RateLimit" in answered.headers  # counting again, without a restart
            async with session.get(f"{url}/health") as health:
                body = await health.json()
                assert body["checks"]["ratelimit:storage"][0]["status"] == "pass"
    finally:
        gateway.stop()
    log = gateway.text()
    assert log.count("does not answer") == 1, log  # once per outage, not per request
    assert "answers again" in log
    assert "Traceback" not in log


async def test_deny_mode_refuses_with_503_while_redis_is_down(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    path = config(tmp_path, private_redis.url, "1000/hour", on_storage_error='"deny"')
    gateway = await GatewayProcess(path, tmp_path / "gateway.log", cwd=tmp_path).listening()
    try:
        private_redis.kill()
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{gateway.url}/health/live") as refused,
        ):
            assert refused.status == 503
            assert refused.content_type == "application/problem+json"
            assert "Retry-After" in refused.headers
    finally:
        gateway.stop()


async def test_a_burst_waits_for_redis_connections_and_admits_exactly_the_limit(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    # More requests in flight than the worker has Redis connections (100): the ones without
    # a connection wait for one, and none is let through uncounted as if Redis were down.
    # A generous storage_timeout, as above: a slow answer on a loaded machine is not the
    # subject here, a pool that runs dry is.
    path = config(tmp_path, private_redis.url, "10/minute", storage_timeout="3", by='"address"')
    text = path.read_text()
    path.write_text('[gateway]\ntrusted_proxies = ["127.0.0.1"]\n' + text)
    gateway = await GatewayProcess(path, tmp_path / "gateway.log", cwd=tmp_path).listening()
    addresses = [f"203.0.113.{n}" for n in range(1, 21)]
    try:
        connector = aiohttp.TCPConnector(limit=250)  # under the gateway's 256 per peer
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(n: int) -> tuple[str, int]:
                address = addresses[n % len(addresses)]
                headers = {"X-Forwarded-For": address}
                async with session.get(f"{gateway.url}/health/live", headers=headers) as answer:
                    return address, answer.status

            seen = await asyncio.gather(*(one(n) for n in range(2000)))
    finally:
        gateway.stop()
    admitted = collections.Counter(address for address, status in seen if status == 200)
    assert collections.Counter(status for _, status in seen) == {200: 200, 429: 1800}
    assert admitted == dict.fromkeys(addresses, 10)
    assert "does not answer" not in gateway.text()
