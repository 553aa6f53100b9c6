"""Keyset pagination: complete, stable while notes are added, and index-only per page."""

import asyncio
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from yarl import URL

from gateway_plugins.notes import migrate
from gateway_plugins.notes.pagination import SORTS
from gateway_plugins.notes.schema import notes
from gateway_plugins.notes.settings import NotesSettings
from gateway_plugins.notes.store import _page_statement
from tests.notes.helpers import create

TOTAL = 1_200


async def seed(database_url: str, tmp_path: Any, count: int) -> None:
    """Insert ``count`` notes straight into the table (much faster than one POST each).

    Priorities and timestamps repeat on purpose, so the id tie-breaker is exercised.
    """
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(database=str(tmp_path / url.database))
    engine = create_async_engine(url)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rng = random.Random(7)
    rows = [
        {
            "title": f"note {i}",
            "description": None,
            "created_by": f"user{i % 4}",
            "priority": rng.randrange(5),
            "created_at": start + timedelta(minutes=rng.randrange(300)),
            "updated_at": start,
            "version": 1,
        }
        for i in range(count)
    ]
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(notes), rows)
    finally:
        await engine.dispose()


async def follow(client: Any, first: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    url: str | None = first
    while url is not None:
        response = await client.get(URL(url).path_qs)
        assert response.status == 200, await response.text()
        page = await response.json()
        seen.extend(page["notes"])
        url = page["next"]
        if url is not None:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
    return seen


def key(note: dict[str, Any], sort: str) -> tuple[Any, int]:
    column = sort.lstrip("-")
    return (note[column], note["id"])


@pytest.mark.parametrize("sort", SORTS)
async def test_every_note_exactly_once_in_order(client, database_url, tmp_path, sort):
    await seed(database_url, tmp_path, TOTAL)
    seen = await follow(client, f"/notes?limit=97&sort={sort}")
    assert len(seen) == TOTAL
    assert len({note["id"] for note in seen}) == TOTAL
    keys = [key(note, sort) for note in seen]
    assert keys == sorted(keys, reverse=sort.startswith("-"))


async def test_default_and_max_limit(client, database_url, tmp_path):
    await seed(database_url, tmp_path, 600)
    first = await (await client.get("/notes")).json()
    assert len(first["notes"]) == 50
    assert "cursor=" in first["next"]
    biggest = await (await client.get("/notes?limit=500")).json()
    assert len(biggest["notes"]) == 500


async def test_next_keeps_the_query_and_is_absolute(client, database_url, tmp_path):
    await seed(database_url, tmp_path, 30)
    page = await (await client.get("/notes?limit=5&sort=-priority&created_by=user1")).json()
    following = URL(page["next"])
    assert following.is_absolute()
    assert following.path == "/notes"
    assert following.query["limit"] == "5"
    assert following.query["sort"] == "-priority"
    assert following.query["created_by"] == "user1"


async def test_last_page_has_null_next(client):
    for i in range(3):
        await create(client, title=f"n{i}")
    page = await (await client.get("/notes?limit=3")).json()
    assert len(page["notes"]) == 3
    assert page["next"] is None
    empty = await (await client.get("/notes")).json()
    assert empty == {"notes": empty["notes"], "next": None}


@pytest.mark.parametrize("sort", ["id", "-created_at", "priority"])
async def test_filters(client, database_url, tmp_path, sort):
    await seed(database_url, tmp_path, 400)
    everything = await follow(client, "/notes?limit=500")
    expected = sorted(
        (n for n in everything if n["created_by"] == "user2" and n["priority"] == 3),
        key=lambda note: key(note, sort),
        reverse=sort.startswith("-"),
    )
    seen = await follow(client, f"/notes?limit=7&created_by=user2&priority=3&sort={sort}")
    assert seen == expected
    by_creator = await follow(client, f"/notes?limit=50&created_by=user1&sort={sort}")
    assert {n["id"] for n in by_creator} == {
        n["id"] for n in everything if n["created_by"] == "user1"
    }
    by_priority = await follow(client, f"/notes?limit=50&priority=0&sort={sort}")
    assert {n["id"] for n in by_priority} == {n["id"] for n in everything if n["priority"] == 0}


@pytest.mark.parametrize("sort", ["id", "priority", "-created_at"])
async def test_complete_while_notes_are_being_added(client, database_url, tmp_path, sort):
    await seed(database_url, tmp_path, TOTAL)
    before = {note["id"] for note in await follow(client, "/notes?limit=500")}
    added: list[int] = []
    wrote = asyncio.Event()
    stop = asyncio.Event()

    async def writer() -> None:
        i = 0
        while not stop.is_set():
            note = await create(client, title=f"late {i}", priority=i % 5)
            added.append(note["id"])
            wrote.set()
            i += 1

    task = asyncio.create_task(writer())
    try:
        seen = []
        url: str | None = f"/notes?limit=50&sort={sort}"
        while url is not None:
            # At least one note is added between any two pages.
            await asyncio.wait_for(wrote.wait(), timeout=10)
            wrote.clear()
            page = await (await client.get(URL(url).path_qs)).json()
            seen.extend(note["id"] for note in page["notes"])
            url = page["next"]
    finally:
        stop.set()
        await task
    assert len(added) > TOTAL // 50
    assert len(seen) == len(set(seen)), "a note was returned twice"
    assert before <= set(seen), "a note that existed before the walk was skipped"


def test_every_page_query_is_an_index_range(tmp_path):
    """Each sort/filter shape reads one index range in order, starting at the cursor.

    So a page costs the same however many notes there are (and however deep the page is), and
    with no sort step SQLite writes JSON for the page's own rows only, never for every
    matching note before a sort.
    """
    path = tmp_path / "plan.db"
    # The schema the plugin's migrations make: the indexes, and the stored JSON column a page
    # reads (migration 0004).
    asyncio.run(migrate.upgrade(sa.make_url(f"sqlite+aiosqlite:///{path}"), NotesSettings()))
    connection = sqlite3.connect(path)
    shapes = [
        (sort.lstrip("-"), sort.startswith("-"), by_creator, by_priority, after)
        for sort in SORTS
        for by_creator in (False, True)
        for by_priority in (False, True)
        for after in (False, True)
    ]
    try:
        for shape in shapes:
            statement = _page_statement(*shape, one_select=True)
            compiled = statement.compile(dialect=sa.dialects.sqlite.dialect())
            params = [1] * len(compiled.positiontup or ())
            plan = [row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {compiled}", params)]
            (inner,) = [line for line in plan if " notes" in line]
            _, _, by_creator, by_priority, after = shape
            assert not any("TEMP B-TREE" in line for line in plan), (shape, plan)
            if by_creator or by_priority or after:
                assert inner.startswith("SEARCH notes USING"), (shape, plan)
            if after:
                assert ">?" in inner or "<?" in inner, (shape, plan)
    finally:
        connection.close()
