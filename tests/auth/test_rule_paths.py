"""Rules and a resource's one path (issue 34): with ``/notes/1`` admin-only, a write key
deleted it through ``/notes/01`` and ``/notes/001`` read it anonymously. A note has one path,
the one its ``Location`` names: other spellings of its id are no note (404), so a rule on that
path cannot be stepped around. Other spellings of the path itself reach the rule as the path
it names (percent-decoded) or reach no note."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.testing import gateway_app
from gateway_plugins.auth.keyring import hash_key

WRITER = "gw_writer-key-0123456789abcdefghijklmnopqrstuvwxyz"
ADMIN = "gw_admin-key-0123456789abcdefghijklmnopqrstuvwxyz"
RULES = [
    {"match": ["/notes/1"], "require": "admin"},
    {"match": ["/_gateway", "/metrics"], "require": "admin"},
    {"methods": ["GET", "HEAD"], "require": "public"},
    {"require": "write"},
]


@pytest.fixture
async def client(aiohttp_client: Any, tmp_path: Path) -> TestClient:
    keys = {
        "ci": {"hash": hash_key(WRITER), "scopes": ["write"]},
        "ops": {"hash": hash_key(ADMIN), "scopes": ["admin", "write"]},
    }
    config = {
        "plugins": {
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "auth": {"keys": keys, "rules": RULES},
        }
    }
    client = await aiohttp_client(await gateway_app(config, config_dir=tmp_path))
    created = await client.post("/notes", json={"title": "admins only"}, headers=bearer(WRITER))
    assert created.headers["Location"].endswith("/notes/1")
    return client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("spelling", ["/notes/01", "/notes/001", "/notes/00000000000000000001"])
async def test_another_spelling_of_the_id_is_no_note(client, spelling):
    read = await client.get(spelling)
    assert read.status == 404, await read.text()
    assert "/notes/1" in (await read.json())["detail"]  # the one path, named
    deleted = await client.delete(spelling, headers=bearer(WRITER))
    assert deleted.status == 404
    replaced = await client.put(spelling, json={"title": "mine"}, headers=bearer(WRITER))
    assert replaced.status == 404
    # The note is untouched, and its one path is the admins'.
    assert (await client.get("/notes/1")).status == 401
    kept = await client.get("/notes/1", headers=bearer(ADMIN))
    assert (await kept.json())["title"] == "admins only"


@pytest.mark.parametrize(
    "target", ["/notes/%31", "/notes/1/", "/notes/1?x=1", "/notes//1", "/notes/./1", "/notes/1;x"]
)
async def test_other_spellings_of_the_path_meet_the_rule_or_no_note(client, target):
    # Sent as written: a client library would normalise some of them.
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status_line = (await asyncio.wait_for(reader.readline(), 10)).decode()
    writer.close()
    assert status_line.split()[1] in ("401", "404"), (target, status_line)


async def test_the_canonical_path_still_serves(client):
    assert (await client.get("/notes/1", headers=bearer(WRITER))).status == 403
    assert (await client.delete("/notes/1", headers=bearer(ADMIN))).status == 204
