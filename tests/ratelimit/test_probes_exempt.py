"""Probes and admin paths are outside rate limiting by default: /health/live, /health/ready,
/health, /metrics and /_gateway/* are never counted or refused unless the operator puts them in
(``exempt``, ``apply_to``, ``overrides``), and with Redis storage they never touch Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestClient

from gateway.app import PluginSetupError
from gateway.testing import gateway_app
from tests.faults.servers import PrivateRedis

PROBES = ["/health/live", "/health/ready", "/health", "/metrics", "/_gateway/plugins"]


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(**ratelimit: Any) -> TestClient:
        config = {
            "gateway": {"metrics": True},
            "plugins": {
                "health": {},
                "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
                "ratelimit": {"limits": ["2/minute"], "by": "address", **ratelimit},
            },
        }
        return await aiohttp_client(await gateway_app(config, config_dir=tmp_path))

    return build


async def test_probes_and_admin_paths_are_never_limited_by_default(make):
    client = await make()
    for path in PROBES:
        for _ in range(6):
            response = await client.get(path)
            assert response.status == 200, (path, await response.text())
            assert "RateLimit" not in response.headers, path
    # The plugins' own paths are limited as before, the probes having spent nothing.
    assert [(await client.get("/notes")).status for _ in range(3)] == [200, 200, 429]
    assert (await client.get("/health/live")).status == 200


async def test_the_operator_puts_probes_back_in(make):
    client = await make(exempt=[])
    assert [(await client.get("/health/live")).status for _ in range(3)] == [200, 200, 429]
    assert (await client.get("/metrics")).status == 429  # one address, one count

    client = await make(apply_to=["notes", "health"])
    assert [(await client.get("/health/ready")).status for _ in range(3)] == [200, 200, 429]
    assert (await client.get("/_gateway/plugins")).status == 200  # not named: still exempt

    client = await make(overrides={"health": {"limits": ["1/minute"]}})
    assert [(await client.get("/health/live")).status for _ in range(2)] == [200, 429]
    assert (await client.get("/metrics")).status == 200


async def test_an_exempt_name_that_matches_nothing_fails_the_build(tmp_path: Path):
    config = {"plugins": {"health": {}, "ratelimit": {"limits": ["1/minute"], "exempt": ["helth"]}}}
    with pytest.raises(PluginSetupError, match="exempt: 'helth' names no mounted plugin"):
        await gateway_app(config, config_dir=tmp_path)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


async def commands_processed(client: redis.Redis) -> int:
    stats = await client.info("stats")
    return int(stats["total_commands_processed"])


async def test_with_redis_storage_liveness_never_waits_on_redis(
    aiohttp_client: Any, tmp_path: Path, private_redis: PrivateRedis
):
    config = {
        "plugins": {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "ratelimit": {"limits": ["100/minute"], "storage": private_redis.url},
        }
    }
    client = await aiohttp_client(await gateway_app(config, config_dir=tmp_path))
    assert (await client.get("/notes")).status == 200  # the storage is open and counts
    watcher = redis.Redis.from_url(private_redis.url)
    try:
        before = await commands_processed(watcher)
        for _ in range(10):
            assert (await client.get("/health/live")).status == 200
        # One command: the INFO of the count itself, on the watcher's open connection.
        assert await commands_processed(watcher) == before + 1
    finally:
        await watcher.aclose()
    private_redis.kill()
    for _ in range(10):
        live = await client.get("/health/live")
        assert live.status == 200
        assert "RateLimit" not in live.headers
