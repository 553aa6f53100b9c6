"""Notes writes under `gateway serve --workers 2` when PostgreSQL is locked, partitioned or
overloaded: a lock held from a second asyncpg connection, a TCP proxy the test black-holes or
cuts. Every write that cannot be served is a 503 problem with Retry-After, as reads are, and no
request waits longer than one deadline."""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.faults.servers import TcpProxy
from tests.notes.helpers import drop_notes_tables
from tests.postgres import connect
from tests.processes import notes_open_in_every_worker, running

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def notes_config(tmp_path: Path, database_url: str, **settings: Any) -> Path:
    lines = "\n".join(f"{key} = {value!r}" for key, value in settings.items())
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            shutdown_timeout = 2
            [plugins.health]
            [plugins.notes]
            database_url = "{database_url}"
            """
        )
        + lines
        + "\n"
    )
    return config


async def assert_retryable_503(response: aiohttp.ClientResponse) -> dict[str, Any]:
    text = await response.text()
    assert response.status == 503, text
    assert response.content_type == "application/problem+json", text
    assert response.headers["Retry-After"] == "1"
    return await response.json(content_type=None)


@asynccontextmanager
async def notes_locked(database_url: str) -> AsyncIterator[None]:
    """The notes table locked (ACCESS EXCLUSIVE) from a connection of the test's own, until
    the block ends: every statement of the gateway's on it waits."""
    holder = await connect(database_url)
    try:
        locked = holder.transaction()
        await locked.start()
        await holder.execute("LOCK TABLE notes IN ACCESS EXCLUSIVE MODE")
        yield
        await locked.rollback()
    finally:
        await holder.close()


def writes(note_id: int) -> list[tuple[str, str, Any, dict[str, str]]]:
    return [
        ("POST", "/notes", {"title": "blocked"}, {}),
        ("POST", "/notes", {"title": "blocked"}, {"Idempotency-Key": "held-by-a-lock"}),
        ("PUT", f"/notes/{note_id}", {"title": "replaced"}, {}),
        ("PATCH", f"/notes/{note_id}", {"priority": 2}, {}),
        ("DELETE", f"/notes/{note_id}", None, {}),
    ]


async def test_writes_past_statement_timeout_answer_503_like_reads(
    tmp_path: Path, postgres_url: str
):
    await drop_notes_tables(postgres_url)
    config = notes_config(
        tmp_path, postgres_url, statement_timeout=1, pool_timeout=2, connect_timeout=1
    )
    async with (
        running(config, tmp_path / "gateway.log", "--workers", "2", ready=True) as gateway,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session,
    ):
        await notes_open_in_every_worker(gateway)  # tables dropped: one migrates, one waits
        async with session.post(f"{gateway.url}/notes", json={"title": "a"}) as created:
            assert created.status == 201
            note = await created.json()
        async with notes_locked(postgres_url):
            requests = [*writes(note["id"]), ("GET", f"/notes/{note['id']}", None, {})]
            for method, path, body, headers in requests:
                async with session.request(
                    method, f"{gateway.url}{path}", json=body, headers=headers
                ) as response:
                    problem = await assert_retryable_503(response)
                # The server cancelled the statement: nothing was applied, so no "unknown".
                assert "outcome" not in problem, (method, problem)
        # The lock is gone: the same keyed POST succeeds, once.
        key = {"Idempotency-Key": "held-by-a-lock"}
        async with session.post(
            f"{gateway.url}/notes", json={"title": "blocked"}, headers=key
        ) as retried:
            assert retried.status == 201
            assert "Idempotent-Replayed" not in retried.headers
    text = gateway.text()
    assert gateway.stop() == 0, text
    assert " 500 " not in text, text
    # A lock held past statement_timeout is an expected condition: one line, no traceback.
    assert "Traceback" not in text, text
    assert "statement timeout" in text


async def test_a_partition_answers_every_request_within_one_deadline(
    tmp_path: Path, postgres_url: str, postgres_proxy: tuple[TcpProxy, str]
):
    await drop_notes_tables(postgres_url)
    proxy, through_proxy = postgres_proxy
    # Each timeout alone is at most 3 s; their sum (pool, connect, statement) is 6.
    config = notes_config(
        tmp_path,
        through_proxy,
        pool_size=2,
        pool_timeout=3,
        connect_timeout=1,
        statement_timeout=1,
        request_timeout=3,
    )
    async with running(config, tmp_path / "gateway.log", "--workers", "2", ready=True) as gateway:
        await notes_open_in_every_worker(gateway)  # tables dropped: one migrates, one waits
        connector = aiohttp.TCPConnector(force_close=True)  # spread over both workers
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        ) as session:
            ids = []
            for i in range(4):
                async with session.post(f"{gateway.url}/notes", json={"title": f"n{i}"}) as r:
                    assert r.status == 201
                    ids.append((await r.json())["id"])
            proxy.black_hole()

            async def one(i: int) -> tuple[str, int, float]:
                note_id = ids[i % len(ids)]
                method, path, body, headers = [
                    ("GET", f"/notes/{note_id}", None, {}),
                    ("GET", "/notes", None, {}),
                    *writes(note_id),
                ][i % 7]
                if "Idempotency-Key" in headers:
                    headers = {"Idempotency-Key": f"partition-{i}"}
                started = time.monotonic()
                async with session.request(
                    method, f"{gateway.url}{path}", json=body, headers=headers
                ) as response:
                    await response.read()
                    return f"{method} {path}", response.status, time.monotonic() - started

            answers = await asyncio.gather(*(one(i) for i in range(28)))
            proxy.heal()
    text = gateway.text()
    assert gateway.stop() == 0, text
    assert {status for _, status, _ in answers} == {503}, answers
    slowest = max(took for _, _, took in answers)
    # request_timeout (3 s) and the time to answer, never the 6 s sum of the timeouts.
    assert slowest < 4.5, sorted(answers, key=lambda a: a[2])[-5:]
    assert " 500 " not in text, text


async def test_a_keyed_post_is_503_when_the_pool_stays_full(tmp_path: Path, postgres_url: str):
    await drop_notes_tables(postgres_url)
    config = notes_config(tmp_path, postgres_url, pool_size=1, pool_timeout=1, statement_timeout=3)
    # One worker: its one pooled connection is what the slow request holds.
    async with (
        running(config, tmp_path / "gateway.log", ready=True) as gateway,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session,
    ):
        async with session.post(f"{gateway.url}/notes", json={"title": "a"}) as created:
            assert created.status == 201
            note = await created.json()
        async with notes_locked(postgres_url):
            # A PATCH waits on the lock, holding the pool's only connection for 3 s.
            slow = asyncio.create_task(
                session.patch(f"{gateway.url}/notes/{note['id']}", json={"priority": 1})
            )
            await asyncio.sleep(0.3)
            for headers in ({}, {"Idempotency-Key": "pool-full"}):
                async with session.post(
                    f"{gateway.url}/notes", json={"title": "b"}, headers=headers
                ) as response:
                    await assert_retryable_503(response)
            (await slow).release()
        # The retry with the same key is served.
        async with session.post(
            f"{gateway.url}/notes",
            json={"title": "b"},
            headers={"Idempotency-Key": "pool-full"},
        ) as retried:
            assert retried.status == 201
    text = gateway.text()
    assert gateway.stop() == 0, text
    assert " 500 " not in text, text


async def test_a_keyed_post_is_503_when_the_connection_drops_during_begin(
    tmp_path: Path, postgres_url: str, postgres_proxy: tuple[TcpProxy, str]
):
    await drop_notes_tables(postgres_url)
    proxy, through_proxy = postgres_proxy
    config = notes_config(tmp_path, through_proxy, pool_size=2, statement_timeout=2)
    async with (
        running(config, tmp_path / "gateway.log", ready=True) as gateway,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session,
    ):
        async with session.post(f"{gateway.url}/notes", json={"title": "a"}) as created:
            assert created.status == 201
        key = {"Idempotency-Key": "dropped-at-begin"}
        # The key's lookup is answered; the BEGIN that follows reaches PostgreSQL, its
        # answer never comes back, and the connection is reset under it.
        proxy.hold_replies(after=b"BEGIN")
        pending = asyncio.create_task(
            session.post(f"{gateway.url}/notes", json={"title": "once"}, headers=key)
        )
        await asyncio.sleep(0.7)
        proxy.cut()
        proxy.heal()
        response = await pending
        await assert_retryable_503(response)
        response.release()
        async with session.post(
            f"{gateway.url}/notes", json={"title": "once"}, headers=key
        ) as retried:
            assert retried.status == 201
    text = gateway.text()
    assert gateway.stop() == 0, text
    assert " 500 " not in text, text
    connection = await connect(postgres_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM notes WHERE title = 'once'") == 1
    finally:
        await connection.close()
