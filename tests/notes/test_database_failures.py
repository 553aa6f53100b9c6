"""A database that goes away costs at most a retryable 503, never a 500 or a stuck gateway."""

import asyncio
import sqlite3

import pytest

from tests.notes.helpers import create, drop_notes_tables
from tests.postgres import connect


@pytest.mark.postgres
async def test_postgresql_connections_killed_under_the_gateway(
    aiohttp_client, make_app, postgres_url
):
    await drop_notes_tables(postgres_url)
    client = await aiohttp_client(await make_app(postgres_url, pool_size=4))
    notes = [await create(client, title=f"n{i}") for i in range(8)]
    # Fill the pool with open connections, then have the server end every one of them.
    await asyncio.gather(*(client.get(f"/notes/{note['id']}") for note in notes))
    admin = await connect(postgres_url)
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name = ''"
        )
    finally:
        await admin.close()
    assert killed >= 1

    # Reads retry once on a fresh connection, so they do not even notice.
    for note in notes:
        response = await client.get(f"/notes/{note['id']}")
        assert response.status == 200
    assert (await client.get("/notes")).status == 200
    # Writes are not retried (a lost connection may or may not have written): at worst a 503.
    statuses = [
        (await client.post("/notes", json={"title": f"after {i}"})).status for i in range(6)
    ]
    assert set(statuses) <= {201, 503}
    assert statuses[-1] == 201


async def test_sqlite_table_gone_is_503(aiohttp_client, make_app, tmp_path):
    client = await aiohttp_client(await make_app("sqlite+aiosqlite:///notes.db"))
    note = await create(client)
    connection = sqlite3.connect(tmp_path / "notes.db")
    connection.execute("DROP TABLE notes")
    connection.commit()
    connection.close()
    for response in (
        await client.get(f"/notes/{note['id']}"),
        await client.get("/notes"),
        await client.post("/notes", json={"title": "x"}),
    ):
        assert response.status == 503
        assert response.content_type == "application/problem+json"
        assert response.headers["Retry-After"] == "1"
