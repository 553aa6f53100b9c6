"""The auth plugin beside another identity provider (the jwt plugin, HS256), with the auth
plugin's shipped defaults: JWTs and API keys both work, in either order of the two plugins; a
wrong API key is still 401 and counted; a bad JWT is the JWT plugin's 401; a bearer credential
nobody accepts never passes as anonymous."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.testing import gateway_app
from gateway_plugins.auth.keyring import hash_key
from tests.jwt.provider import issue, shared_secret_table

PROBLEM = "application/problem+json"
SECRET = "test-secret-of-the-identity-provider-0123456789"
WRITER = "gw_writer-key-0123456789abcdefghijklmnopqrstuvwxyz"
ADMIN = "gw_admin-key-0123456789abcdefghijklmnopqrstuvwxyz"
# A key made by other means than `gateway auth new-key` (no gw_ prefix): still a key.
HAND_MADE = "0f3c9a7e5d1b2468ace013579bdf2468ace013579bdf2468"
KEYS = {
    "ci": {"hash": hash_key(WRITER), "scopes": ["write"]},
    "ops": {"hash": hash_key(ADMIN), "scopes": ["admin", "write"]},
    "legacy": {"hash": hash_key(HAND_MADE), "scopes": ["write"]},
}
NOTE = {"title": "from a provider"}

# The operator's ways to order the two plugins, and the chain each gives on /notes.
ORDERS = {
    "defaults": ({}, {}, ["auth:api-key", "jwt:verify", "auth:rules"]),
    "jwt first": ({}, {"priority": 1300}, ["jwt:verify", "auth:api-key", "auth:rules"]),
    "auth moved below jwt": (
        {"priority": 1200},
        {},
        ["jwt:verify", "auth:api-key", "auth:rules"],
    ),
    "jwt between": ({}, {"priority": 1000}, ["auth:api-key", "jwt:verify", "auth:rules"]),
}


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(
        auth: dict[str, Any] | None = None, jwt: dict[str, Any] | None = None
    ) -> TestClient:
        plugins = {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "auth": {"keys": KEYS, **(auth or {})},
            "jwt": {**shared_secret_table(SECRET), **(jwt or {})},
        }
        app = await gateway_app({"plugins": plugins}, config_dir=tmp_path)
        return await aiohttp_client(app)

    return build


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def chain(client: TestClient) -> list[str]:
    listing = await (await client.get("/_gateway/plugins", headers=bearer(ADMIN))).json()
    return [m["name"] for m in listing["middlewares"]["/notes"]]


@pytest.fixture(params=list(ORDERS))
async def ordered(request: Any, make: Any) -> TestClient:
    auth, jwt, expected = ORDERS[request.param]
    client = await make(auth, jwt)
    assert await chain(client) == expected
    return client


async def test_a_jwt_alone_writes_as_its_subject(ordered):
    token = issue(SECRET, "robot", ["write"])
    created = await ordered.post("/notes", json=NOTE, headers=bearer(token))
    assert created.status == 201, await created.text()
    assert (await created.json())["created_by"] == "robot"
    assert (await ordered.get("/notes", headers=bearer(token))).status == 200


async def test_an_api_key_alone_writes_as_its_name(ordered):
    for headers in (bearer(WRITER), {"X-API-Key": WRITER}, bearer(HAND_MADE)):
        created = await ordered.post("/notes", json=NOTE, headers=headers)
        assert created.status == 201, await created.text()
    notes = (await (await ordered.get("/notes")).json())["notes"]
    assert sorted(note["created_by"] for note in notes) == ["ci", "ci", "legacy"]


async def test_a_wrong_api_key_is_the_auth_plugins_401(ordered):
    token = issue(SECRET, "robot", ["write"])
    wrong = [bearer("gw_wrong"), {"X-API-Key": "gw_wrong"}, {"X-API-Key": "anything"}]
    # Even beside a valid JWT: an API key sent is judged, whoever identified the caller.
    wrong.append({**bearer(token), "X-API-Key": "gw_wrong"})
    for headers in wrong:
        for method, path in (("POST", "/notes"), ("GET", "/health/live")):
            refused = await ordered.request(method, path, json=NOTE, headers=headers)
            assert refused.status == 401, (headers, path)
            assert refused.content_type == PROBLEM
            assert refused.headers["WWW-Authenticate"] == (
                'Bearer realm="gateway", error="invalid_token"'
            )
            assert "The API key sent is not valid" in (await refused.json())["detail"]


async def test_a_bad_jwt_is_the_jwt_plugins_401(ordered):
    for token in (
        issue("another-secret-entirely-0123456789abcdef", "robot", ["write"]),
        issue(SECRET, "robot", ["write"], exp=int(time.time()) - 60),
        issue(SECRET, "robot", ["write"], iss="https://elsewhere.test"),
        issue(SECRET, "robot", ["write"])[:-4] + "AAAA",
    ):
        for method, path in (("POST", "/notes"), ("GET", "/notes")):
            refused = await ordered.request(method, path, json=NOTE, headers=bearer(token))
            assert refused.status == 401, (token, path)
            assert refused.content_type == PROBLEM
            challenge = refused.headers["WWW-Authenticate"]
            assert 'error="invalid_token", error_description="The bearer token' in challenge
            detail = (await refused.json())["detail"]
            assert detail.startswith("The bearer token")
            assert "API key" not in detail  # the jwt plugin's answer, not auth's
            assert token not in detail


async def test_scopes_of_a_jwt_are_judged_by_the_same_rules(ordered):
    reader = issue(SECRET, "reader", [])
    refused = await ordered.post("/notes", json=NOTE, headers=bearer(reader))
    assert refused.status == 403
    assert "'reader' lacks scope 'write'" in (await refused.json())["detail"]
    assert (await ordered.get("/_gateway/plugins", headers=bearer(reader))).status == 403
    admin = issue(SECRET, "root", ["admin"])
    assert (await ordered.get("/_gateway/plugins", headers=bearer(admin))).status == 200
    # Nothing sent: anonymous, which a write may not be.
    anonymous = await ordered.post("/notes", json=NOTE)
    assert anonymous.status == 401
    assert (await anonymous.json())["required_scope"] == "write"


async def test_only_wrong_api_keys_count_towards_the_lock_out(make):
    for auth, jwt, _ in ORDERS.values():
        client = await make({**auth, "max_failures": "2/minute"}, jwt)
        bad = issue("another-secret-entirely-0123456789abcdef", "robot", ["write"])
        for _ in range(3):  # the JWT plugin's refusals are not auth's to count
            assert (await client.post("/notes", json=NOTE, headers=bearer(bad))).status == 401
        assert (await client.post("/notes", json=NOTE, headers=bearer(WRITER))).status == 201
        for _ in range(2):
            assert (await client.get("/notes", headers=bearer("gw_guess"))).status == 401
        locked = await client.post("/notes", json=NOTE, headers=bearer(WRITER))
        assert locked.status == 429, auth or jwt
        # A JWT is not an API key: the lock-out on keys does not touch it.
        token = issue(SECRET, "robot", ["write"])
        assert (await client.post("/notes", json=NOTE, headers=bearer(token))).status == 201


async def test_a_bearer_credential_no_provider_accepts_is_401_never_anonymous(make):
    # The JWT plugin does not run on /notes: its tokens reach auth's rules unidentified.
    client = await make(jwt={"skip": ["notes"]}, auth={"max_failures": "6/minute"})
    token = issue(SECRET, "robot", ["write"])
    for credential in (token, "0f3c-not-a-configured-key", "ghp_someone-elses-token"):
        for method in ("GET", "POST"):  # public read and write alike
            refused = await client.request(method, "/notes", json=NOTE, headers=bearer(credential))
            assert refused.status == 401, (credential, method)
            assert refused.headers["WWW-Authenticate"].endswith('error="invalid_token"')
            detail = (await refused.json())["detail"]
            assert "no identity provider accepted it" in detail and credential not in detail
    # Counted as wrong keys are: the address is locked out, a right key included.
    assert (await client.get("/notes", headers=bearer(HAND_MADE))).status == 429
    assert (await client.get("/notes", headers=bearer(token))).status == 429
    # Where the JWT plugin runs, the same token is an identity.
    assert (await client.get("/health/live", headers=bearer(token))).status == 200
    # Other schemes than Bearer are not credentials the gateway reads.
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert (await client.get("/notes", headers=basic)).status == 200


async def test_with_x_api_key_only_the_bearer_is_left_to_other_providers(make):
    client = await make({"identity_header": "x-api-key"}, {"skip": ["notes"]})
    # Auth reads no Authorization header at all: a bearer it does not read is not refused.
    assert (await client.get("/notes", headers=bearer("gw_wrong"))).status == 200
    assert (await client.post("/notes", json=NOTE, headers={"X-API-Key": WRITER})).status == 201
