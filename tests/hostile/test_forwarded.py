"""One forwarding family (issue 34): behind a trusted proxy the gateway believes only the
header family the operator's proxy writes (``[gateway] forwarded_header``, default
``x-forwarded``). A client's own ``Forwarded`` passed through such a proxy must not choose its
rate-limit bucket, its wrong-key guard or the host of the URLs the gateway builds, and with
``forwarded_header = "forwarded"`` a client's ``X-Forwarded-*`` changes nothing either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.config import ConfigError
from gateway.testing import gateway_app

# What nginx writes for the real client (deploy.md's config appends $remote_addr).
REAL = {"X-Forwarded-For": "198.51.100.7"}


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(*, tables: dict[str, Any] | None = None, **gateway: Any) -> TestClient:
        config = {
            # The test client connects from 127.0.0.1: the trusted proxy.
            "gateway": {"trusted_proxies": ["127.0.0.1"], **gateway},
            "plugins": tables
            or {
                "health": {},
                "ratelimit": {"limits": ["5/minute"], "by": "address"},
                "auth": {},
                "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            },
        }
        return await aiohttp_client(await gateway_app(config, config_dir=tmp_path))

    return build


async def test_a_rotating_forwarded_for_is_one_client(make):
    client = await make()
    answers = []
    for i in range(10):
        headers = {**REAL, "Forwarded": f"for=10.1.0.{i}"}
        answers.append((await client.get("/notes", headers=headers)).status)
    assert answers == [200] * 5 + [429] * 5


async def test_a_forwarded_host_does_not_move_location(make):
    client = await make(tables={"notes": {"database_url": "sqlite+aiosqlite:///notes.db"}})
    headers = {**REAL, "Forwarded": "for=10.9.9.9;host=evil.example;proto=https"}
    created = await client.post("/notes", json={"title": "t"}, headers=headers)
    assert created.status == 201, await created.text()
    location = created.headers["Location"]
    assert "evil.example" not in location and location.startswith("http://127.0.0.1:")


async def test_wrong_keys_behind_a_forwarded_for_count_for_the_real_client(make):
    client = await make()
    wrong = {"Authorization": "Bearer gw_wrong-key"}
    answers = []
    for i in range(12):
        headers = {**REAL, **wrong, "Forwarded": f"for=10.2.0.{i}"}
        answers.append((await client.post("/health/live", headers=headers)).status)
    # auth's max_failures (10/minute) holds for the address nginx saw.
    assert answers == [401] * 10 + [429] * 2
    # A victim the attacker named in Forwarded is not locked out.
    victim = {"X-Forwarded-For": "10.2.0.3"}
    assert (await client.get("/health/live", headers=victim)).status == 200


async def test_the_operator_may_choose_forwarded(make):
    client = await make(
        forwarded_header="forwarded",
        tables={"notes": {"database_url": "sqlite+aiosqlite:///notes.db"}},
    )
    # The proxy writes Forwarded; a client's X-Forwarded-* passed through change nothing.
    headers = {
        "Forwarded": 'for="[2001:db8::1]:4711";proto=https;host=api.example',
        "X-Forwarded-For": "203.0.113.66",
        "X-Forwarded-Host": "evil.example",
    }
    created = await client.post("/notes", json={"title": "t"}, headers=headers)
    assert created.headers["Location"].startswith("https://api.example/notes/")
    spoofed = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    created = await client.post("/notes", json={"title": "t"}, headers=spoofed)
    assert created.headers["Location"].startswith("http://127.0.0.1:")


async def test_an_unknown_family_is_a_config_error():
    with pytest.raises(ConfigError) as caught:
        await gateway_app({"gateway": {"forwarded_header": "both"}, "plugins": {}})
    assert "gateway.forwarded_header" in str(caught.value)
