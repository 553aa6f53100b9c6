"""The ratelimit plugin through HTTP in one process: limits per identity and per address,
the RateLimit fields, 429 with Retry-After, overrides, preflights, trusted proxies."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestClient

from gateway.config import ConfigError
from gateway.testing import gateway_app
from gateway_plugins.auth.keyring import hash_key

PROBLEM = "application/problem+json"
ALICE = "gw_alice-0123456789abcdefghijklmnopqrstuvwxyz0123"
BOB = "gw_bob-0123456789abcdefghijklmnopqrstuvwxyz012345"


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(gateway: dict[str, Any] | None = None, **ratelimit: Any) -> TestClient:
        plugins = {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "ratelimit": {"limits": ["3/minute"], **ratelimit},
            "auth": {
                "keys": {
                    "alice": {"hash": hash_key(ALICE), "scopes": ["write"]},
                    "bob": {"hash": hash_key(BOB), "scopes": ["write"]},
                }
            },
            "cors": {"origins": ["http://app.example"]},
        }
        config = {"gateway": gateway or {}, "plugins": plugins}
        return await aiohttp_client(await gateway_app(config, config_dir=tmp_path))

    return build


def key(value: str) -> dict[str, str]:
    return {"X-API-Key": value}


async def test_admitted_answers_carry_the_ratelimit_fields_and_the_next_is_429(make):
    client = await make()
    for remaining in (2, 1, 0):
        response = await client.get("/notes")
        assert response.status == 200
        assert response.headers["RateLimit-Policy"] == '"3/minute";q=3;w=60'
        fields = response.headers["RateLimit"]
        assert fields.startswith(f'"3/minute";r={remaining};t=')
        assert 0 < int(fields.rsplit("t=", 1)[1]) <= 60
    refused = await client.get("/notes")
    assert refused.status == 429
    assert refused.content_type == PROBLEM
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    problem = await refused.json()
    assert "Rate limit 3/minute reached for this client address" in problem["detail"]
    assert refused.headers["RateLimit"].startswith('"3/minute";r=0;')


async def test_each_key_is_counted_on_its_own_and_anonymous_by_address(make):
    client = await make()
    for _ in range(3):
        assert (await client.get("/notes", headers=key(ALICE))).status == 200
    refused = await client.get("/notes", headers=key(ALICE))
    assert refused.status == 429
    assert "the key 'alice'" in (await refused.json())["detail"]
    assert (await client.get("/notes", headers=key(BOB))).status == 200
    assert (await client.get("/notes")).status == 200  # the address has its own count


async def test_by_address_counts_every_caller_from_one_address_together(make):
    client = await make(by="address")
    assert (await client.get("/notes", headers=key(ALICE))).status == 200
    assert (await client.get("/notes", headers=key(BOB))).status == 200
    assert (await client.get("/notes")).status == 200
    assert (await client.get("/notes", headers=key(ALICE))).status == 429


async def test_several_limits_and_per_plugin_overrides(make):
    client = await make(
        limits=["5/minute", "2/second"], overrides={"health": {"limits": ["1/minute"]}}
    )
    first = await client.get("/notes")
    assert first.headers["RateLimit-Policy"] == '"5/minute";q=5;w=60, "2/second";q=2;w=1'
    assert (await client.get("/notes")).status == 200
    refused = await client.get("/notes")
    assert refused.status == 429  # the per-second limit
    # Refused by the shorter window, checked first: the per-minute quota was not spent on it.
    assert refused.headers["RateLimit"].startswith('"5/minute";r=3;')
    assert (await client.get("/health/live")).status == 200
    assert (await client.get("/health/live")).status == 429  # health's own limit
    assert (await client.get("/health/live")).headers["RateLimit-Policy"] == ('"1/minute";q=1;w=60')


async def test_preflights_and_requests_refused_by_auth_are_never_counted(make):
    client = await make()
    preflight = {"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}
    for _ in range(5):
        answered = await client.options("/notes", headers=preflight)
        assert answered.status == 204
        assert "RateLimit" not in answered.headers
    for _ in range(5):
        assert (await client.post("/notes", json={"title": "x"})).status == 401
    assert (await client.get("/notes")).status == 200


async def test_trusted_forwarded_for_counts_each_client_untrusted_changes_nothing(make):
    trusted = await make({"trusted_proxies": ["127.0.0.1"]})
    for client_ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"):
        for _ in range(3):
            answered = await trusted.get("/notes", headers={"X-Forwarded-For": client_ip})
            assert answered.status == 200
    untrusted = await make({"trusted_proxies": ["10.0.0.1"]})
    for client_ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert (await untrusted.get("/notes", headers={"X-Forwarded-For": client_ip})).status == 200
    forged = await untrusted.get("/notes", headers={"X-Forwarded-For": "198.51.100.99"})
    assert forged.status == 429


@pytest.mark.parametrize(
    ("settings", "where", "message"),
    [
        ({"limits": ["lots"]}, "plugins.ratelimit.limits", "'lots' is not a rate"),
        ({"limits": []}, "plugins.ratelimit.limits", "give at least one rate"),
        ({"storage": "memcached://x"}, "plugins.ratelimit.storage", "not supported"),
        ({"by": "colour"}, "plugins.ratelimit.by", "identity"),
    ],
)
async def test_bad_settings_name_the_key_and_the_fix(tmp_path, settings, where, message):
    config = {"plugins": {"health": {}, "ratelimit": {"limits": ["3/minute"], **settings}}}
    with pytest.raises(ConfigError) as caught:
        await gateway_app(config, config_dir=tmp_path)
    assert where in str(caught.value) and message in str(caught.value), str(caught.value)


async def test_an_override_naming_nothing_mounted_fails_the_build(tmp_path):
    from gateway.app import PluginSetupError

    config = {
        "plugins": {
            "health": {},
            "ratelimit": {"limits": ["3/minute"], "overrides": {"notez": {"limits": ["1/hour"]}}},
        }
    }
    with pytest.raises(PluginSetupError, match="overrides: 'notez' names no mounted plugin"):
        await gateway_app(config, config_dir=tmp_path)


async def test_a_redis_url_without_a_port_counts_on_port_6379(
    make, redis_url: str, redis_namespace: str
):
    # limits itself refuses such a URL ("Missing host or port"); every Redis client reads 6379.
    parts = urlsplit(redis_url)
    if parts.port not in (None, 6379):
        pytest.skip("the test Redis is not on port 6379")
    storage = urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))
    client = await make(storage=storage, key_prefix=redis_namespace, storage_timeout=3)
    assert [(await client.get("/notes")).status for _ in range(4)] == [200, 200, 200, 429]
    counted = redis.Redis.from_url(redis_url)
    try:
        assert [key async for key in counted.scan_iter(match=f"{redis_namespace}*")]
    finally:
        await counted.aclose()
