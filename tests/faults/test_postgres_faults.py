"""The notes plugin when the network to PostgreSQL fails: a TCP proxy the test cuts or holds.

PostgreSQL itself is never touched; every fault is the proxy's: a partition (nothing comes
back), a reply that never arrives after the statement ran, every connection reset at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from gateway.testing import gateway_app
from tests.notes.helpers import drop_notes_tables
from tests.postgres import connect

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def notes_titled(postgres_url: str, title: str) -> int:
    connection = await connect(postgres_url)
    try:
        return await connection.fetchval("SELECT count(*) FROM notes WHERE title = $1", title)
    finally:
        await connection.close()


@pytest.fixture
async def notes_client(aiohttp_client, tmp_path: Path, postgres_url: str, postgres_proxy):
    await drop_notes_tables(postgres_url)
    proxy, through_proxy = postgres_proxy
    settings = {
        "database_url": through_proxy,
        "pool_size": 4,
        "connect_timeout": 1,
        "statement_timeout": 1,
        "pool_timeout": 2,
    }
    app = await gateway_app({"plugins": {"notes": settings}}, config_dir=tmp_path)
    return await aiohttp_client(app), proxy


async def test_a_partition_is_a_bounded_503_and_one_traceback(notes_client, caplog):
    client, proxy = notes_client
    created = await client.post("/notes", json={"title": "before"})
    assert created.status == 201
    note = await created.json()
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="gateway_plugins.notes")

    proxy.black_hole()
    for request in (
        lambda: client.get(f"/notes/{note['id']}"),
        lambda: client.get("/notes"),
        lambda: client.patch(f"/notes/{note['id']}", json={"priority": 2}),
        lambda: client.get(f"/notes/{note['id']}"),
    ):
        started = time.monotonic()
        response = await request()
        took = time.monotonic() - started
        assert response.status == 503, await response.text()
        assert response.content_type == "application/problem+json"
        assert took < 6, f"{took:.1f}s: not bounded by statement_timeout and connect_timeout"
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    tracebacks = [r for r in records if r.exc_info]
    assert len(tracebacks) == 1, [r.getMessage() for r in records]
    assert "unavailable" in tracebacks[0].getMessage()
    assert len(records) <= 1 + 4  # at most a line per request besides the one traceback

    proxy.heal()
    deadline = time.monotonic() + 10
    while (await client.get(f"/notes/{note['id']}")).status != 200:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    assert any("answers again" in r.getMessage() for r in caplog.records)


async def test_a_reply_lost_mid_insert_says_the_outcome_is_unknown(notes_client, postgres_url):
    client, proxy = notes_client
    assert (await client.post("/notes", json={"title": "warm"})).status == 201
    proxy.hold_replies()  # the INSERT reaches PostgreSQL and commits; its reply is held
    pending = asyncio.create_task(client.post("/notes", json={"title": "in flight"}))
    await asyncio.sleep(0.5)
    proxy.cut()
    proxy.heal()
    response = await pending
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["outcome"] == "unknown"
    assert "may or may not" in problem["detail"]
    assert await notes_titled(postgres_url, "in flight") == 1  # it had been written
    # Healed: the next write works, on a fresh connection.
    assert (await client.post("/notes", json={"title": "after"})).status == 201


async def test_an_idempotency_key_makes_the_retry_of_a_lost_post_safe(notes_client, postgres_url):
    client, proxy = notes_client
    assert (await client.post("/notes", json={"title": "warm"})).status == 201
    key = {"Idempotency-Key": '"3f1e2d4c-retry-me"'}
    proxy.hold_replies(after=b"COMMIT")  # the note and its key commit; the reply is lost
    pending = asyncio.create_task(client.post("/notes", json={"title": "once"}, headers=key))
    await asyncio.sleep(0.5)
    proxy.cut()
    proxy.heal()
    lost = await pending
    assert lost.status == 503
    assert (await lost.json())["outcome"] == "unknown"
    # The client retries as told: the same key, the same body. It had been written: replayed.
    retried = await client.post("/notes", json={"title": "once"}, headers=key)
    assert retried.status == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert await notes_titled(postgres_url, "once") == 1
    note = await retried.json()
    assert retried.headers["Location"].endswith(f"/notes/{note['id']}")


async def test_connections_reset_while_idle_are_replaced_not_reported(notes_client):
    client, proxy = notes_client
    notes = []
    for i in range(8):
        response = await client.post("/notes", json={"title": f"n{i}"})
        notes.append(await response.json())
    # Open every pooled connection, then reset all of them while they sit idle.
    await asyncio.gather(*(client.get(f"/notes/{note['id']}") for note in notes))
    proxy.cut()
    await asyncio.sleep(0.2)
    statuses = [
        (await client.patch(f"/notes/{note['id']}", json={"priority": 1})).status for note in notes
    ]
    assert statuses == [200] * 8
    assert (await client.post("/notes", json={"title": "new"})).status == 201
