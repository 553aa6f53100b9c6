"""The crypto plugin when its Redis dies and comes back: a private redis-server, killed for real.

While Redis is down the process serves from its own memory: entries, in-process coalescing and
the rate-limit window keep protecting CoinGecko's quota, ``Cache-Status`` names the cache that
answered (``gateway-memory``), the log says so once, and Redis is used again once it answers.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import redis.asyncio as redis

from gateway.testing import gateway_app
from tests.crypto.conftest import crypto_config
from tests.crypto.fake_coingecko import FakeCoinGecko
from tests.faults.servers import PrivateRedis

pytestmark = pytest.mark.slow

PRICE = "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"
ETH = "/v1/crypto/price?ids=ethereum&vs_currencies=usd"
NAMESPACE = "test:outage"


async def redis_keys(server: PrivateRedis) -> list[str]:
    client = redis.Redis.from_url(server.url)
    try:
        return sorted([key.decode() async for key in client.scan_iter(match=f"{NAMESPACE}:*")])
    finally:
        await client.aclose()


async def test_a_redis_outage_falls_back_to_memory_and_back(
    aiohttp_client, fake: FakeCoinGecko, private_redis: PrivateRedis, caplog
):
    caplog.set_level(logging.INFO, logger="gateway_plugins.crypto")
    config = crypto_config(fake, cache=private_redis.url, cache_namespace=NAMESPACE)
    client = await aiohttp_client(await gateway_app(config))
    first = await client.get(PRICE)
    assert first.headers["Cache-Status"] == "gateway; fwd=miss; stored"
    assert await redis_keys(private_redis) == [
        f"{NAMESPACE}:/simple/price?ids=bitcoin&vs_currencies=usd"
    ]

    private_redis.kill()
    # 16 concurrent misses, an instant upstream: one call, the entry kept in this process.
    async with asyncio.timeout(10):
        burst = await asyncio.gather(*(client.get(ETH) for _ in range(16)))
    assert [r.status for r in burst] == [200] * 16
    assert fake.calls["/simple/price"] == 2
    statuses = [r.headers["Cache-Status"] for r in burst]
    assert statuses.count("gateway-memory; fwd=miss; stored") == 1, statuses
    assert all(s.startswith("gateway-memory;") for s in statuses), statuses
    assert not any("stored" in s and "gateway;" in s for s in statuses)
    for _ in range(30):
        again = await client.get(ETH)
        assert again.headers["Cache-Status"].startswith("gateway-memory; hit; ttl=")
    assert fake.calls["/simple/price"] == 2

    # A 429 opens the window in memory: no further upstream call for any key.
    fake.rate_limit("2")
    limited = await client.get("/v1/crypto/coins/bitcoin")
    assert limited.status == 503
    assert limited.headers["Cache-Status"] == "gateway-memory; fwd=miss; fwd-status=429"
    calls = fake.total_calls
    fake.ok()
    for path in ("/v1/crypto/coins/ethereum", "/v1/crypto/coins/tether", PRICE + ",tether"):
        blocked = await client.get(path)
        assert blocked.status == 503
        assert blocked.headers["Cache-Status"] == "gateway-memory; detail=rate-limited"
    assert fake.total_calls == calls

    # Readiness holds: this instance serves, and every instance shares the dead Redis.
    for path in ("/health", "/health/ready"):
        health = await client.get(path)
        assert health.status == 200, await health.text()
        body = await health.json()
        assert body["status"] == "warn"
        check = body["checks"]["crypto:cache"][0]
        assert check["status"] == "warn"
        assert "serving from this process's memory" in check["output"]
        assert str(private_redis.port) not in check["output"]  # /health is public

    outage_lines = [r for r in caplog.records if "cache failed" in r.getMessage()]
    assert len(outage_lines) == 1, [r.getMessage() for r in outage_lines]
    assert "serving from this process's memory" in outage_lines[0].getMessage()

    # Redis is back (empty: it kept nothing): the process returns to it by itself.
    private_redis.start()
    deadline = time.monotonic() + 10
    while "answers again" not in caplog.text:
        assert time.monotonic() < deadline, "the cache did not return to Redis"
        await asyncio.sleep(0.1)
    while (await client.get("/v1/crypto/coins/usd-coin")).status == 503:  # the 2 s window
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    fresh = await client.get("/v1/crypto/price?ids=usd-coin&vs_currencies=usd")
    assert fresh.headers["Cache-Status"] == "gateway; fwd=miss; stored"
    assert f"{NAMESPACE}:/simple/price?ids=usd-coin&vs_currencies=usd" in await redis_keys(
        private_redis
    )
    assert len([r for r in caplog.records if "cache failed" in r.getMessage()]) == 1


async def test_a_gateway_starts_while_its_redis_is_down(
    aiohttp_client, fake: FakeCoinGecko, private_redis: PrivateRedis
):
    private_redis.kill()
    config = crypto_config(fake, cache=private_redis.url, cache_namespace=NAMESPACE)
    client = await aiohttp_client(await gateway_app(config))
    answers = [await client.get(PRICE) for _ in range(3)]
    assert [r.status for r in answers] == [200] * 3
    assert answers[0].headers["Cache-Status"] == "gateway-memory; fwd=miss; stored"
    assert answers[2].headers["Cache-Status"].startswith("gateway-memory; hit")
    assert fake.calls["/simple/price"] == 1
