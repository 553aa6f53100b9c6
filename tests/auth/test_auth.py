"""The auth plugin through HTTP: the shipped rules, the 401/403 shapes, keys and their hashes,
rule and priority overrides, brute force, and what never shows a key."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.testing import gateway_app
from gateway_plugins.auth.keyring import hash_key
from tests.crypto.fake_coingecko import FakeCoinGecko

PROBLEM = "application/problem+json"
WRITER = "gw_writer-key-0123456789abcdefghijklmnopqrstuvwxyz"
ADMIN = "gw_admin-key-0123456789abcdefghijklmnopqrstuvwxyz"
READER = "gw_reader-key-0123456789abcdefghijklmnopqrstuvwxyz"
KEYS = {
    "ci": {"hash": hash_key(WRITER), "scopes": ["write"]},
    "ops": {"hash": hash_key(ADMIN), "scopes": ["admin", "write"]},
    "dashboard": {"hash": hash_key(READER), "scopes": []},
}
NOTE = {"title": "guarded", "priority": 1}


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path, fake: FakeCoinGecko):
    async def build(auth: dict[str, Any] | None = None, **tables: Any) -> TestClient:
        plugins = {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "crypto": {"base_url": fake.url},
            "auth": {"keys": KEYS, **(auth or {})},
            **tables,
        }
        app = await gateway_app(
            {"gateway": {"metrics": True}, "plugins": plugins}, config_dir=tmp_path
        )
        return await aiohttp_client(app)

    return build


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_shipped_rules_reads_health_and_crypto_are_public(make):
    client = await make()
    assert (await client.get("/notes")).status == 200
    assert (await client.head("/notes")).status == 200
    assert (await client.get("/health/live")).status == 200
    info = await client.post("/v1/crypto/info")
    assert info.status == 200, await info.text()


async def test_a_write_without_a_key_is_401_with_a_challenge_and_stores_nothing(make):
    client = await make()
    refused = await client.post("/notes", json=NOTE)
    assert refused.status == 401
    assert refused.content_type == PROBLEM
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="gateway"'
    problem = await refused.json()
    assert problem["status"] == 401 and problem["required_scope"] == "write"
    assert "scope 'write'" in problem["detail"]
    assert refused.headers["X-Request-ID"]
    assert (await (await client.get("/notes")).json())["notes"] == []


async def test_a_key_with_the_scope_writes_and_is_recorded_as_created_by(make):
    client = await make()
    created = await client.post("/notes", json=NOTE, headers=bearer(WRITER))
    assert created.status == 201
    assert (await created.json())["created_by"] == "ci"
    # A created_by the client sends is kept; X-API-Key works as well as Bearer.
    named = await client.post(
        "/notes", json={**NOTE, "created_by": "alice"}, headers={"X-API-Key": WRITER}
    )
    assert (await named.json())["created_by"] == "alice"
    note_id = (await created.json())["id"]
    assert (await client.delete(f"/notes/{note_id}", headers=bearer(WRITER))).status == 204


async def test_a_key_without_the_scope_is_403_naming_the_key_not_the_secret(make):
    client = await make()
    refused = await client.post("/notes", json=NOTE, headers=bearer(READER))
    assert refused.status == 403
    assert refused.content_type == PROBLEM
    problem = await refused.json()
    assert "'dashboard' lacks scope 'write'" in problem["detail"]
    assert READER not in await refused.text()


async def test_a_wrong_key_is_401_even_on_a_public_route_and_says_nothing_of_keys(make):
    client = await make()
    for method, path in (("GET", "/notes"), ("GET", "/health/live"), ("POST", "/notes")):
        refused = await client.request(method, path, headers=bearer("gw_wrong"))
        assert refused.status == 401, path
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
        text = await refused.text()
        assert "gw_wrong" not in text and "ci" not in (await refused.json())["detail"]


async def test_the_gateways_own_paths_need_admin(make):
    client = await make()
    for path in ("/_gateway/plugins", "/metrics"):
        assert (await client.get(path)).status == 401, path
        assert (await client.get(path, headers=bearer(WRITER))).status == 403, path
        allowed = await client.get(path, headers=bearer(ADMIN))
        assert allowed.status == 200, path


async def test_keys_never_appear_in_the_plugin_listing_or_the_log(make, caplog):
    client = await make()
    caplog.set_level(logging.DEBUG)
    await client.get("/notes", headers=bearer("gw_not-a-real-key"))
    await client.post("/notes", json=NOTE, headers=bearer(WRITER))
    listing = await (await client.get("/_gateway/plugins", headers=bearer(ADMIN))).text()
    for secret in (WRITER, ADMIN, READER, hash_key(WRITER), "gw_not-a-real-key"):
        assert secret not in listing
        assert secret not in caplog.text
    assert '"ci"' in listing  # names are not secret


async def test_rules_can_be_changed_in_the_config(make):
    rules = [
        {"match": ["/notes"], "methods": ["GET"], "require": "read"},
        {"match": ["health"], "require": "public"},
        {"match": ["*"], "methods": ["POST"], "require": "write"},
    ]
    keys = {**KEYS, "reader": {"hash": hash_key(READER + "2"), "scopes": ["read"]}}
    client = await make({"rules": rules, "keys": keys})
    assert (await client.get("/notes")).status == 401
    assert (await client.get("/notes", headers=bearer(READER + "2"))).status == 200
    assert (await client.get("/health/live")).status == 200
    # No rule matches DELETE: the operator's rules fail closed (admin only).
    assert (await client.delete("/notes/1", headers=bearer(WRITER))).status == 403
    assert (await client.delete("/notes/1", headers=bearer(ADMIN))).status == 404


async def test_path_rules_inside_or_around_a_plugins_prefix_win_over_later_name_rules(make):
    # A plugin no path rule concerns is decided by its name and the method alone; these
    # rules concern notes (a path inside its prefix) and crypto (a path around its prefix).
    rules = [
        {"match": ["/notes/1"], "methods": ["GET"], "require": "admin"},
        {"match": ["/v1"], "methods": ["POST"], "require": "write"},
        {"match": ["health"], "methods": ["DELETE"], "require": "admin"},
        {"match": ["health", "crypto", "notes"], "require": "public"},
    ]
    client = await make({"rules": rules})
    assert (await client.get("/notes/1")).status == 401
    assert (await client.get("/notes/1", headers=bearer(ADMIN))).status == 404
    assert (await client.get("/notes/2")).status == 404  # public: no such note
    assert (await client.get("/notes/10")).status == 404  # "/notes/1" is not its prefix
    assert (await client.post("/v1/crypto/info")).status == 401
    assert (await client.post("/v1/crypto/info", headers=bearer(WRITER))).status == 200
    assert (await client.get("/health/live")).status == 200
    assert (await client.delete("/health/live")).status == 401
    assert (await client.request("PATCH", "/health/live")).status == 405  # public, not served


async def test_a_rule_naming_a_plugin_that_is_not_mounted_fails_the_build(make):
    from gateway.app import PluginSetupError

    with pytest.raises(PluginSetupError, match=r"rules\[0\]\.match: 'notez'"):
        await make({"rules": [{"match": ["notez"], "require": "public"}]})


async def test_repeated_wrong_keys_from_one_address_are_refused_for_a_while(make):
    client = await make({"max_failures": "3/minute"})
    for _ in range(3):
        assert (await client.get("/notes", headers=bearer("gw_guess"))).status == 401
    locked = await client.get("/notes", headers=bearer(WRITER))
    assert locked.status == 429
    assert int(locked.headers["Retry-After"]) >= 1
    assert locked.content_type == PROBLEM
    # Without a key, public reads still work.
    assert (await client.get("/notes")).status == 200


async def test_a_burst_of_wrong_keys_is_checked_no_more_than_the_guard_allows(make):
    # 100 wrong keys at once from one address: in one process the guard's check and count
    # are one synchronous step, so no request slips between another's check and its count.
    client = await make({"max_failures": "10/minute"})

    async def guess(n: int) -> int:
        return (await client.get("/notes", headers=bearer(f"gw_guess{n}"))).status

    statuses = await asyncio.gather(*(guess(n) for n in range(100)))
    assert sorted(statuses) == [401] * 10 + [429] * 90


async def test_priority_override_moves_auth_after_a_third_party_middleware(make):
    # With auth moved below ratelimit, a refused request is counted by the limiter; by
    # default (auth first) it never is. Both orders are visible in the listing.
    client = await make(ratelimit={"limits": ["2/minute"]})
    for _ in range(3):
        assert (await client.post("/notes", json=NOTE)).status == 401
    assert (await client.get("/notes")).status == 200  # nothing was counted for the 401s
    listing = await (await client.get("/_gateway/plugins", headers=bearer(ADMIN))).json()
    assert [m["name"] for m in listing["middlewares"]["/notes"]] == [
        "auth:api-key",
        "auth:rules",
        "ratelimit:limit",
    ]
    moved = await make({"priority": 100}, ratelimit={"limits": ["2/minute"]})
    for _ in range(2):
        assert (await moved.post("/notes", json=NOTE)).status == 401
    assert (await moved.get("/notes")).status == 429
