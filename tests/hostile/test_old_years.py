"""A created_at before the year 1000 is stored and returned fixed-width, on both databases, and
a migration repairs SQLite rows stored the short way before."""

import sqlite3
import subprocess
import sys
import textwrap
import uuid

import orjson
import pytest

from tests.hostile.conftest import serve, stop
from tests.hostile.raw import one, request

pytestmark = pytest.mark.slow  # each module serves a real gateway process

JSON = {"Content-Type": "application/json"}
TIMES = [
    "0999-06-01T00:00:00Z",
    "2026-01-01T00:00:00Z",
    "0005-01-01T00:00:00Z",
    "1000-01-01T00:00:00Z",
]
EXPECTED = [
    "0005-01-01T00:00:00.000000Z",
    "0999-06-01T00:00:00.000000Z",
    "1000-01-01T00:00:00.000000Z",
    "2026-01-01T00:00:00.000000Z",
]


def page_through(port: int, created_by: str) -> list[str]:
    """Every created_at of ``created_by``'s notes, following next links one note at a time."""
    seen = []
    path = f"/notes?sort=created_at&limit=1&created_by={created_by}"
    while path:
        page = one(port, request("GET", path))
        assert page.status == 200, page.body
        seen += [note["created_at"] for note in page.json()["notes"]]
        following = page.json()["next"]
        path = following.split("gateway.test", 1)[1] if following else None
    return seen


def post_times(port: int, created_by: str) -> list[str]:
    stored = []
    for created_at in TIMES:
        body = orjson.dumps({"title": "old", "created_by": created_by, "created_at": created_at})
        answer = one(port, request("POST", "/notes", headers=JSON, body=body))
        assert answer.status == 201, answer.body
        stored.append(answer.json()["created_at"])
    return stored


def test_years_before_1000_are_fixed_width_and_page_in_order_on_sqlite(gateway):
    who = f"old-{uuid.uuid4().hex[:8]}"
    assert sorted(post_times(gateway.port, who)) == EXPECTED
    assert page_through(gateway.port, who) == EXPECTED


@pytest.mark.postgres
def test_years_before_1000_are_fixed_width_and_page_in_order_on_postgresql(tmp_path, postgres_url):
    url = postgres_url
    served = serve(
        tmp_path,
        f"""
        [gateway]
        shutdown_timeout = 1
        [plugins.notes]
        database_url = "{url}"
        """,
    )
    try:
        who = f"old-{uuid.uuid4().hex[:8]}"
        assert sorted(post_times(served.port, who)) == EXPECTED
        assert page_through(served.port, who) == EXPECTED
    finally:
        stop(served)


def test_the_migration_repairs_rows_stored_without_padding(tmp_path):
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            """
            [plugins.notes]
            database_url = "sqlite+aiosqlite:///notes.db"
            """
        )
    )
    migrate = [sys.executable, "-m", "gateway", "notes", "migrate", "0001", "--config", str(config)]
    subprocess.run(migrate, check=True, capture_output=True, timeout=60)
    with sqlite3.connect(tmp_path / "notes.db") as db:  # as the plugin stored them before
        for created_at in (
            "999-06-01T00:00:00.000000Z",
            "5-01-01T00:00:00.000000Z",
            "2026-01-01T00:00:00.000000Z",
        ):
            db.execute(
                "INSERT INTO notes (title, created_by, priority, created_at, updated_at, version)"
                " VALUES ('old', 'legacy', 0, ?, '2026-12-01T00:00:00.000000Z', 1)",
                (created_at,),
            )
    served = serve(tmp_path, config.read_text())  # migrate_on_start applies 0002
    try:
        assert page_through(served.port, "legacy") == [
            "0005-01-01T00:00:00.000000Z",
            "0999-06-01T00:00:00.000000Z",
            "2026-01-01T00:00:00.000000Z",
        ]
    finally:
        stop(served)
