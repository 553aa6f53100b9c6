"""Concurrent misses of one URL make one origin call: in one process (memory or Redis store)
and between two gateways sharing a Redis (each with its own coalescer: only the Redis lock
joins them)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from tests.cache.conftest import PLUGINS, MakeFront, gateway_config
from tests.cache.origin import CALLS
from tests.cache.test_rfc9111 import get


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "memory":
        return {}
    return {
        "storage": request.getfixturevalue("redis_url"),
        "namespace": request.getfixturevalue("redis_namespace"),
    }


async def test_hundred_concurrent_misses_one_origin_call(
    make_front: MakeFront, storage: dict[str, Any]
):
    front = await make_front(**storage)
    url = front.url("herd", "cc=max-age%3D60&delay=0.3")
    answers = await asyncio.gather(*(get(front, url) for _ in range(100)))
    assert front.calls("herd") == 1
    assert {status for status, _, _ in answers} == {200}
    assert {body for _, _, body in answers} == {b"herd call 1 lang -\n"}
    members = [headers["Cache-Status"] for _, headers, _ in answers]
    assert sum(m.endswith("; stored") for m in members) == 1
    assert sum(m.endswith("; collapsed") for m in members) == 99


async def test_unstorable_answers_are_not_serialised(make_front: MakeFront):
    """Waiters for a fill that stored nothing go to the origin together, not one by one."""
    front = await make_front()
    url = front.url("priv", "cc=private&delay=0.3")
    loop = asyncio.get_running_loop()
    started = loop.time()
    answers = await asyncio.gather(*(get(front, url) for _ in range(20)))
    assert {status for status, _, _ in answers} == {200}
    assert front.calls("priv") == 20
    assert loop.time() - started < 1.5  # two rounds of 0.3 s, never twenty


@pytest.mark.redis
async def test_two_gateways_one_redis_one_origin_call(
    gateway_client: Any, origin: TestServer, redis_url: str, redis_namespace: str
):
    cache = {"storage": redis_url, "namespace": redis_namespace}
    clients = [
        await gateway_client(gateway_config(origin, cache), plugins=PLUGINS) for _ in range(2)
    ]
    url = "/svc/r/shared?cc=max-age%3D60&delay=0.3"

    async def ask(n: int) -> tuple[int, str]:
        async with clients[n % 2].get(url) as response:
            await response.read()
            return response.status, response.headers["Cache-Status"]

    answers = await asyncio.gather(*(ask(n) for n in range(100)))
    assert origin.app[CALLS]["shared"] == 1
    assert {status for status, _ in answers} == {200}
    # The second gateway's answer is the first one's, stored in Redis.
    async with clients[1].get(url) as response:
        assert response.headers["Cache-Status"].startswith("gateway; hit")
    assert origin.app[CALLS]["shared"] == 1
