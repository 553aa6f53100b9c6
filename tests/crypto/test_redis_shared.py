"""The Redis backend shared by several gateways: one upstream call, one rate-limit window.

Two gateway apps in this process stand for two processes: each has its own cache client, its
own in-process coalescing and its own aiohttp server, so only the Redis lock and the entries in
Redis can coordinate them. test_serve_processes.py does the same with real processes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestClient, TestServer

from gateway.testing import gateway_app
from gateway_plugins.crypto.keys import PROXY
from tests.crypto.conftest import crypto_config, crypto_subapp
from tests.crypto.fake_coingecko import FakeCoinGecko

pytestmark = pytest.mark.redis

PRICE = "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"


@pytest.fixture
def shared(redis_url: str, redis_namespace: str) -> dict[str, Any]:
    return {"cache": redis_url, "cache_namespace": redis_namespace}


async def two_gateways(
    aiohttp_client: Any, fake: FakeCoinGecko, **settings: Any
) -> tuple[TestClient, TestClient]:
    first = await aiohttp_client(await gateway_app(crypto_config(fake, **settings)))
    second = await aiohttp_client(await gateway_app(crypto_config(fake, **settings)))
    proxies = [crypto_subapp(client)[PROXY] for client in (first, second)]
    assert proxies[0] is not proxies[1] and proxies[0].store is not proxies[1].store
    return first, second


async def test_two_gateways_make_one_upstream_call(aiohttp_client, fake: FakeCoinGecko, shared):
    first, second = await two_gateways(aiohttp_client, fake, **shared)
    fake.slow(0.4)
    async with asyncio.timeout(10):
        responses = await asyncio.gather(
            *(client.get(PRICE) for _ in range(20) for client in (first, second))
        )
    assert [r.status for r in responses] == [200] * 40
    assert fake.calls["/simple/price"] == 1
    statuses = [r.headers["Cache-Status"] for r in responses]
    assert statuses.count("gateway; fwd=miss; stored") == 1
    assert statuses.count("gateway; fwd=miss; stored; collapsed") == 39
    # Each gateway coalesced its own 19 in-process; one of them also waited on the Redis lock.
    waits = [crypto_subapp(c)[PROXY].stats.coalesced_waits for c in (first, second)]
    assert sorted(waits) == [19, 20]


async def test_two_gateways_share_a_failed_call(aiohttp_client, fake: FakeCoinGecko, shared):
    first, second = await two_gateways(aiohttp_client, fake, timeout=0.4, **shared)
    fake.hang()
    async with asyncio.timeout(10):
        responses = await asyncio.gather(first.get(PRICE), second.get(PRICE))
    assert [r.status for r in responses] == [504, 504]
    assert fake.calls["/simple/price"] == 1
    statuses = sorted(r.headers["Cache-Status"] for r in responses)
    assert statuses == [
        "gateway; fwd=miss; detail=timeout",
        "gateway; fwd=miss; detail=timeout; collapsed",
    ]


async def test_a_failure_is_remembered_by_both_then_asked_again(
    aiohttp_client, fake: FakeCoinGecko, shared
):
    first, second = await two_gateways(aiohttp_client, fake, failure_ttl=0.5, **shared)
    fake.fail(500)
    assert (await first.get(PRICE)).status == 502
    fake.ok()
    remembered = await second.get(PRICE)  # the other process reads the failure from Redis
    assert remembered.status == 502
    assert remembered.headers["Cache-Status"] == "gateway; detail=failure-remembered"
    assert remembered.headers["Retry-After"] == "1"
    assert fake.calls["/simple/price"] == 1
    await asyncio.sleep(0.6)
    assert (await second.get(PRICE)).status == 200
    assert fake.calls["/simple/price"] == 2


async def test_entries_and_window_are_shared(aiohttp_client, fake: FakeCoinGecko, shared):
    first, second = await two_gateways(aiohttp_client, fake, **shared)
    assert (await first.get(PRICE)).headers["Cache-Status"] == "gateway; fwd=miss; stored"
    assert (await second.get(PRICE)).headers["Cache-Status"].startswith("gateway; hit; ttl=")

    fake.rate_limit("30")
    assert (await first.get("/v1/crypto/coins/bitcoin")).status == 503
    fake.ok()
    blocked = await second.get("/v1/crypto/coins/ethereum")
    assert blocked.status == 503
    assert blocked.headers["Cache-Status"] == "gateway; detail=rate-limited"
    assert int(blocked.headers["Retry-After"]) in (29, 30)
    assert fake.total_calls == 2


async def test_keys_live_under_the_namespace(
    aiohttp_client, fake: FakeCoinGecko, shared, redis_url: str, redis_namespace: str
):
    client = await aiohttp_client(await gateway_app(crypto_config(fake, **shared)))
    assert (await client.get(PRICE)).status == 200
    store = redis.Redis.from_url(redis_url)
    try:
        keys = sorted([key.decode() async for key in store.scan_iter(match=f"{redis_namespace}:*")])
        ttl = await store.pttl(f"{redis_namespace}:/simple/price?ids=bitcoin&vs_currencies=usd")
    finally:
        await store.aclose()
    assert keys == [f"{redis_namespace}:/simple/price?ids=bitcoin&vs_currencies=usd"]
    assert 600_000 < ttl <= 660_000  # fresh for ttl, then kept stale_ttl longer


async def test_garbage_in_redis_is_a_miss(
    aiohttp_client, fake: FakeCoinGecko, shared, redis_url: str, redis_namespace: str
):
    store = redis.Redis.from_url(redis_url)
    try:
        key = f"{redis_namespace}:/simple/price?ids=bitcoin&vs_currencies=usd"
        await store.set(key, b'{"written": "by something else"}')
    finally:
        await store.aclose()
    client = await aiohttp_client(await gateway_app(crypto_config(fake, **shared)))
    response = await client.get(PRICE)
    assert response.status == 200
    assert response.headers["Cache-Status"] == "gateway; fwd=miss; stored"


async def test_unreachable_redis_does_not_stop_the_start(fake: FakeCoinGecko, caplog):
    app = await gateway_app(crypto_config(fake, cache="redis://:hunter2@127.0.0.1:1/0"))
    server = TestServer(app, host="127.0.0.1")
    try:
        await server.start_server()  # serves from memory until Redis answers
    finally:
        await server.close()
    assert "the Redis cache failed to answer at start-up" in caplog.text
    assert "hunter2" not in caplog.text
