"""Rate-limit buckets per identity provider and name: the API key "ci" and a JWT whose subject
is "ci" (the jwt plugin) are two callers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.testing import gateway_app
from gateway_plugins.auth.keyring import hash_key
from tests.jwt.provider import issue, shared_secret_table

SECRET = "test-secret-of-the-identity-provider-0123456789"
CI_KEY = "gw_ci-0123456789abcdefghijklmnopqrstuvwxyz0123456"


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(**ratelimit: Any) -> TestClient:
        plugins = {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "ratelimit": {"limits": ["2/minute"], **ratelimit},
            "auth": {"keys": {"ci": {"hash": hash_key(CI_KEY), "scopes": ["write"]}}},
            "jwt": shared_secret_table(SECRET),
        }
        app = await gateway_app({"plugins": plugins}, config_dir=tmp_path)
        return await aiohttp_client(app)

    return build


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def test_a_key_and_a_jwt_of_the_same_name_count_apart(make):
    client = await make()
    key, token = bearer(CI_KEY), bearer(issue(SECRET, "ci", ["write"]))
    for _ in range(2):
        assert (await client.get("/notes", headers=key)).status == 200
    assert (await client.get("/notes", headers=key)).status == 429
    # The JWT subject "ci" has a bucket of its own, and spends it on its own.
    for remaining in (1, 0):
        admitted = await client.get("/notes", headers=token)
        assert admitted.status == 200
        assert admitted.headers["RateLimit"].startswith(f'"2/minute";r={remaining};')
    assert (await client.get("/notes", headers=token)).status == 429
    assert (await client.get("/notes")).status == 200  # the address is a third caller


async def test_by_address_counts_both_providers_together(make):
    client = await make(by="address")
    assert (await client.get("/notes", headers=bearer(CI_KEY))).status == 200
    token = bearer(issue(SECRET, "ci", ["write"]))
    assert (await client.get("/notes", headers=token)).status == 200
    assert (await client.get("/notes", headers=token)).status == 429
