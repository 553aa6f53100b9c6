"""Alembic migrations: at start-up, from the CLI, and safe when processes start together."""

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from aiohttp import web
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.app import PluginSetupError
from gateway.cli import main
from gateway_plugins.notes import migrate
from gateway_plugins.notes.database import resolve_url
from gateway_plugins.notes.schema import REPRESENTATION, json_row, metadata, notes
from gateway_plugins.notes.settings import NotesSettings
from tests.notes.helpers import create, drop_notes_tables

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sync_database_url(request: pytest.FixtureRequest) -> str:
    """Like ``database_url``, for tests that are not coroutines (the CLI runs its own loop)."""
    if request.param == "sqlite":
        return "sqlite+aiosqlite:///notes.db"
    url = request.getfixturevalue("postgres_url")
    asyncio.run(drop_notes_tables(url))
    return url


def write_config(folder: Path, database_url: str, **extra: Any) -> Path:
    lines = [
        "[gateway]",
        "access_log = false",
        "[plugins.notes]",
        f'database_url = "{database_url}"',
    ]
    lines += [
        f"{key} = {str(value).lower() if isinstance(value, bool) else value}"
        for key, value in extra.items()
    ]
    path = folder / "plugins.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def tables(url: Any) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_start_up_migrates_an_empty_database(client, database_url, tmp_path):
    url = resolve_url(database_url, tmp_path)
    assert {"notes", "notes_alembic_version"} <= await tables(url)
    assert await migrate.current_revision(url, NotesSettings()) == migrate.head_revision()
    await create(client)


async def test_schema_matches_the_migrations(client, database_url, tmp_path):
    engine = create_async_engine(resolve_url(database_url, tmp_path))

    def differences(conn: Any) -> list[Any]:
        context = MigrationContext.configure(
            conn, opts={"version_table": migrate.VERSION_TABLE, "compare_type": True}
        )
        found = compare_metadata(context, metadata)
        # SQLite's generated column of each note's JSON (migration 0004) is not in the model,
        # which must match PostgreSQL too (schema.STORED_JSON); the test below checks it.
        stored = [("remove_column", None, "notes", "representation")]
        return [d for d in found if (*d[:3], getattr(d[3], "name", None)) not in stored]

    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()


def stored_and_built(path: Path) -> list[tuple[Any, Any]]:
    """Each note's stored JSON (SQLite's generated column) beside the JSON the model builds."""
    built = sa.select(json_row(*REPRESENTATION)).order_by(notes.c.id)
    sql = str(built.compile(dialect=sa.dialects.sqlite.dialect()))
    connection = sqlite3.connect(path)
    try:
        stored = connection.execute("SELECT representation FROM notes ORDER BY id").fetchall()
        return list(zip(stored, connection.execute(sql).fetchall(), strict=True))
    finally:
        connection.close()


async def test_sqlite_keeps_each_notes_json_as_the_model_builds_it(
    aiohttp_client, make_app, tmp_path
):
    """The page reads the stored column (migration 0004): it must be the JSON json_row makes
    of the model's REPRESENTATION, through creates, updates, odd text and nulls."""
    client = await aiohttp_client(await make_app("sqlite+aiosqlite:///notes.db"))
    first = await create(client, title='hé € "quoted"\n', description=None)
    await create(client, created_by=None, priority=-3)
    response = await client.patch(f"/notes/{first['id']}", json={"title": "renamed"})
    assert response.status == 200, await response.text()
    pairs = stored_and_built(tmp_path / "notes.db")
    assert len(pairs) == 2
    for stored, built in pairs:
        assert stored == built
    assert orjson.loads(pairs[0][0][0]) == await response.json()
    page = await (await client.get("/notes")).json()
    assert page["notes"][0] == await response.json()
    # A GET of one note sends the same stored bytes.
    one = await client.get(f"/notes/{first['id']}")
    assert one.content_type == "application/json"
    assert await one.read() == pairs[0][0][0]


def test_0004_rebuilds_the_table_keeping_notes_indexes_and_ids(tmp_path, capsys):
    """Up from 0003 with notes in it, and back down: every row kept, the JSON column added
    (then removed), the indexes made again, and a deleted note's id still never reused."""
    config = str(write_config(tmp_path, "sqlite+aiosqlite:///notes.db"))
    path = tmp_path / "notes.db"
    assert main(["notes", "migrate", "0003", "--config", config]) == 0
    connection = sqlite3.connect(path)
    with connection:
        for i in range(3):
            connection.execute(
                "INSERT INTO notes (title, priority, created_at, updated_at, version) "
                "VALUES (?, ?, '2026-12-03T08:00:00.000000Z', '2026-12-03T08:00:00.000000Z', 1)",
                (f"note {i}", i),
            )
        connection.execute("DELETE FROM notes WHERE id = 3")  # the highest id ever given
    before = connection.execute("SELECT * FROM notes ORDER BY id").fetchall()
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notes'"
    ).fetchall()
    connection.close()
    capsys.readouterr()

    assert main(["notes", "migrate", "--config", config]) == 0
    assert "applied 0004" in capsys.readouterr().out
    connection = sqlite3.connect(path)
    try:
        columns = [
            row[0] for row in connection.execute("SELECT name FROM pragma_table_xinfo('notes')")
        ]
        assert columns[-1] == "representation"
        assert (
            connection.execute(
                f"SELECT {', '.join(columns[:-1])} FROM notes ORDER BY id"
            ).fetchall()
            == before
        )
        assert sorted(indexes) == sorted(
            connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notes'"
            ).fetchall()
        )
        assert [stored for stored, built in stored_and_built(path) if stored != built] == []
        with connection:
            connection.execute(
                "INSERT INTO notes (title, priority, created_at, updated_at, version) "
                "VALUES ('new', 0, '2026-12-03T08:00:00.000000Z', '2026-12-03T08:00:00.000000Z', 1)"
            )
        assert connection.execute("SELECT max(id) FROM notes").fetchone() == (4,)
    finally:
        connection.close()

    assert main(["notes", "downgrade", "0003", "--yes-destroy-data", "--config", config]) == 0
    assert "undid 0004" in capsys.readouterr().out
    connection = sqlite3.connect(path)
    try:
        columns = [
            row[0] for row in connection.execute("SELECT name FROM pragma_table_xinfo('notes')")
        ]
        assert "representation" not in columns
        assert (
            connection.execute("SELECT * FROM notes WHERE id < 4 ORDER BY id").fetchall() == before
        )
        assert connection.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'notes'"
        ).fetchone() == (4,)
    finally:
        connection.close()


async def test_without_migrate_on_start_an_unmigrated_database_stops_the_start(
    make_app, database_url
):
    runner = web.AppRunner(await make_app(database_url, migrate_on_start=False))
    with pytest.raises(PluginSetupError) as failure:
        await runner.setup()  # runs the start-up, as serving would
    await runner.cleanup()
    assert failure.value.name == "notes"
    assert "gateway notes migrate" in str(failure.value)


async def test_without_migrate_on_start_a_current_database_starts(
    aiohttp_client, make_app, database_url, tmp_path
):
    await migrate.upgrade(resolve_url(database_url, tmp_path), NotesSettings())
    client = await aiohttp_client(await make_app(database_url, migrate_on_start=False))
    await create(client)


async def test_concurrent_upgrades_migrate_exactly_once(database_url, tmp_path):
    """In one process (two gateways in a test, say); test_five_processes_... is across them."""
    url = resolve_url(database_url, tmp_path)
    results = await asyncio.gather(*(migrate.upgrade(url, NotesSettings()) for _ in range(5)))
    assert sorted(results) == [[], [], [], [], ["0001", "0002", "0003", "0004"]]


def test_five_processes_migrate_exactly_once(sync_database_url, tmp_path):
    config = write_config(tmp_path, sync_database_url)
    env = {**os.environ, "GATEWAY_LOAD_PLUGINS": "notes"}
    command = [sys.executable, "-m", "gateway", "notes", "migrate", "--config", str(config)]
    processes = [
        subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(5)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0] * 5, outputs
    applied = [out for out, _ in outputs if "applied 0001" in out]
    assert len(applied) == 1, outputs


def test_cli_current_migrate_downgrade(sync_database_url, tmp_path, capsys):
    config = str(write_config(tmp_path, sync_database_url))
    assert main(["notes", "current", "--config", config]) == 0
    assert "at base (no schema)" in capsys.readouterr().out
    assert main(["notes", "migrate", "--config", config]) == 0
    assert "applied 0001" in capsys.readouterr().out
    assert main(["notes", "migrate", "--config", config]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["notes", "current", "--config", config]) == 0
    assert "at 0004; plugin head 0004 (up to date)" in capsys.readouterr().out
    # Destructive: refused without the confirmation flag, and nothing is dropped.
    assert main(["notes", "downgrade", "base", "--config", config]) == 2
    assert "--yes-destroy-data" in capsys.readouterr().err
    url = resolve_url(sync_database_url, tmp_path)
    assert "notes" in asyncio.run(tables(url))
    assert main(["notes", "downgrade", "base", "--yes-destroy-data", "--config", config]) == 0
    assert "undid 0004, 0003, 0002, 0001" in capsys.readouterr().out
    url = resolve_url(sync_database_url, tmp_path)
    assert "notes" not in asyncio.run(tables(url))


def test_cli_works_while_the_plugin_is_disabled(tmp_path, capsys):
    config = tmp_path / "plugins.toml"
    config.write_text(
        '[plugins.notes]\nenabled = false\ndatabase_url = "sqlite+aiosqlite:///x.db"\n'
    )
    assert main(["notes", "migrate", "--config", str(config)]) == 0
    assert (tmp_path / "x.db").exists()


def test_cli_without_a_notes_table_explains(tmp_path, capsys):
    config = tmp_path / "plugins.toml"
    config.write_text("[gateway]\n")
    assert main(["notes", "migrate", "--config", str(config)]) == 2
    assert "no [plugins.notes] table" in capsys.readouterr().err


def test_relative_sqlite_path_is_resolved_against_the_config_folder(tmp_path, capsys, monkeypatch):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = write_config(tmp_path, "sqlite+aiosqlite:///data/notes.db")
    (tmp_path / "data").mkdir()
    assert main(["notes", "migrate", "--config", str(config)]) == 0
    assert (tmp_path / "data" / "notes.db").exists()
    assert not (elsewhere / "data").exists()


def test_missing_sqlite_folder_is_reported(tmp_path, capsys):
    config = write_config(tmp_path, "sqlite+aiosqlite:///missing/notes.db")
    assert main(["notes", "migrate", "--config", str(config)]) == 2
    assert "does not exist" in capsys.readouterr().err
