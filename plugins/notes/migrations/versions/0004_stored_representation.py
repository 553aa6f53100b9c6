"""Keep each note's JSON in a generated column on SQLite, so a page reads it instead of making it.

A page of 100 notes spent most of its time in SQLite building each row's ``json_object``
(152 us of a 200 us query in ``sqlite3`` alone; 55 us reading the stored JSON instead). The
column is ``GENERATED ALWAYS AS (...) STORED``: SQLite computes it on every INSERT and UPDATE
from the row's own columns, so no write path can leave it out of step, and reading it is
reading a column. SQLite cannot add a STORED column to a table (only a VIRTUAL one, which is
computed on every read), so the table is rebuilt: copied into a new one with the column, its
indexes made again, and its AUTOINCREMENT counter carried over (a deleted note's id is never
reused, before or after). PostgreSQL keeps building the JSON while it reads (``row_to_json``):
its generated columns take immutable expressions only, and ``to_char`` of a time is not one.

Needs SQLite 3.31 or later (generated columns; Python's own is 3.40 on Debian 12).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlite3
from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out, as 0001 spells its table: a migration keeps meaning what it meant when written.
# The JSON is what the API returns for a note (schema.FIELDS, in its order), as schema.json_row
# writes it on SQLite: json_object's compact text, as UTF-8 bytes. A change to the fields needs
# a migration that redefines this column (tests/notes/test_migrations.py compares the two).
_FIELDS = ("id", "title", "description", "created_by", "priority", "created_at", "updated_at")
_REPRESENTATION = (
    "CAST(json_object(" + ", ".join(f"'{name}', {name}" for name in _FIELDS) + ") AS BLOB)"
)
_COLUMNS = """
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    title VARCHAR(200) NOT NULL,
    description TEXT,
    created_by VARCHAR(200),
    priority INTEGER NOT NULL,
    created_at VARCHAR(27) NOT NULL,
    updated_at VARCHAR(27) NOT NULL,
    version INTEGER NOT NULL"""
_COPIED = "id, title, description, created_by, priority, created_at, updated_at, version"
_INDEXES = {  # as 0001 made them
    "ix_notes_priority_id": "priority, id",
    "ix_notes_created_at_id": "created_at, id",
    "ix_notes_priority_created_at_id": "priority, created_at, id",
    "ix_notes_created_by_id": "created_by, id",
    "ix_notes_created_by_priority_id": "created_by, priority, id",
    "ix_notes_created_by_created_at_id": "created_by, created_at, id",
    "ix_notes_created_by_priority_created_at_id": "created_by, priority, created_at, id",
}
_NEEDED = (3, 31, 0)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    if sqlite3.sqlite_version_info < _NEEDED:
        raise RuntimeError(
            f"migration 0004 of the notes plugin needs SQLite 3.31 or later (generated "
            f"columns); this Python has SQLite {sqlite3.sqlite_version}: use a Python built "
            f"with a newer SQLite, or PostgreSQL (database_url)"
        )
    stored = f",\n    representation BLOB GENERATED ALWAYS AS ({_REPRESENTATION}) STORED"
    _rebuild(_COLUMNS + stored)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(_COLUMNS)


def _rebuild(columns: str) -> None:
    """Replace the notes table with one of ``columns``, keeping its rows, its indexes and its
    AUTOINCREMENT counter (inside the migration's transaction: all of it, or none)."""
    op.execute(f"CREATE TABLE notes_rebuilt ({columns}\n)")
    op.execute(f"INSERT INTO notes_rebuilt ({_COPIED}) SELECT {_COPIED} FROM notes")
    # The highest id ever given, which may belong to a deleted note: the copy only knows the
    # highest id still there (and nothing at all when every note was deleted).
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'notes_rebuilt'")
    op.execute(
        "INSERT INTO sqlite_sequence (name, seq) "
        "SELECT 'notes_rebuilt', seq FROM sqlite_sequence WHERE name = 'notes'"
    )
    op.execute("DROP TABLE notes")
    op.execute("ALTER TABLE notes_rebuilt RENAME TO notes")
    for name, indexed in _INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON notes ({indexed})")
