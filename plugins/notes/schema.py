"""The ``notes`` table, and the one way a note's timestamps are stored and read back.

Timestamps are UTC. PostgreSQL keeps them as ``timestamptz``; SQLite, which has no date type,
keeps them as fixed-width ISO 8601 text (``2017-08-23T00:00:00.000000Z``), so text order is
time order and keyset pagination on ``created_at`` works the same on both. Reads select
:func:`utc_text` of a timestamp, which is that same text on both databases, so the API's
representation is built without parsing or formatting a datetime in Python.
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

metadata = sa.MetaData()

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# PostgreSQL's to_char spelling of TIMESTAMP_FORMAT.
_PG_TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'


def format_timestamp(value: datetime) -> str:
    """``value`` (aware) as the canonical UTC text the API returns and SQLite stores.

    Always 27 characters: the year has four digits even before 1000 (``strftime("%Y")``
    writes ``999`` on glibc, which sorts after ``2026`` as text and breaks paging by
    ``created_at``; PostgreSQL's ``to_char(..., 'YYYY')`` pads it too).
    """
    utc = value.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"


class UTCTimestamp(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime: ``timestamptz`` on PostgreSQL, canonical text on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(27))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return format_timestamp(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


class utc_text(FunctionElement[str]):
    """A timestamp column as canonical UTC text, computed by the database."""

    type = sa.String()
    inherit_cache = True


@compiles(utc_text)
def _utc_text_stored(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)  # SQLite already stores the text


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', '{_PG_TIMESTAMP_FORMAT}')"


class json_row(FunctionElement[bytes]):
    """The columns of one row as a compact JSON object, made by the database, as UTF-8 bytes.

    Lists are rendered this way, as PostgREST does: the database writes each note's JSON while
    it reads the row, so Python neither builds 100 dicts nor encodes them for a page. Bytes,
    not text: the page is joined into the response body as they are, with no decoding into
    str and encoding back (a copy of every note each way), and ``max_page_bytes`` weighs
    what is sent. Give it every column of one table or subquery; each column's name is its
    key (on PostgreSQL, the columns of one subquery: row_to_json takes its row).
    """

    type = sa.LargeBinary()
    inherit_cache = True


@compiles(json_row)
def _json_row_sqlite(element: json_row, compiler: SQLCompiler, **kw: Any) -> str:
    pairs = ", ".join(
        f"'{column.name}', {compiler.process(column, **kw)}" for column in element.clauses
    )
    # CAST AS BLOB takes the text's bytes as they are (SQLite stores text as UTF-8 here).
    return f"CAST(json_object({pairs}) AS BLOB)"


@compiles(json_row, "postgresql")
def _json_row_postgresql(element: json_row, compiler: SQLCompiler, **kw: Any) -> str:
    # row_to_json writes compact JSON (json_build_object puts spaces around its colons).
    (subquery,) = {column.table for column in element.clauses}
    return f"convert_to(row_to_json({compiler.preparer.format_alias(subquery)})::text, 'UTF8')"


notes = sa.Table(
    "notes",
    metadata,
    # AUTOINCREMENT on SQLite: an id is never reused after a delete, so a note's URL and its
    # ETag never come to mean another note.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("created_by", sa.String(200), nullable=True),
    sa.Column("priority", sa.Integer(), nullable=False),
    sa.Column("created_at", UTCTimestamp(), nullable=False),
    sa.Column("updated_at", UTCTimestamp(), nullable=False),
    # Incremented by every write; the note's ETag, and what If-Match compares atomically.
    sa.Column("version", sa.Integer(), nullable=False),
    # Keyset pagination reads one index range per page for every sort and filter combination
    # the API offers, so a page costs the same in a table of any size.
    sa.Index("ix_notes_priority_id", "priority", "id"),
    sa.Index("ix_notes_created_at_id", "created_at", "id"),
    sa.Index("ix_notes_priority_created_at_id", "priority", "created_at", "id"),
    sa.Index("ix_notes_created_by_id", "created_by", "id"),
    sa.Index("ix_notes_created_by_priority_id", "created_by", "priority", "id"),
    sa.Index("ix_notes_created_by_created_at_id", "created_by", "created_at", "id"),
    sa.Index(
        "ix_notes_created_by_priority_created_at_id", "created_by", "priority", "created_at", "id"
    ),
    sqlite_autoincrement=True,
)

# What the API returns for a note, in this order; reads add ``version`` for the ETag.
FIELDS = ("id", "title", "description", "created_by", "priority", "created_at", "updated_at")
REPRESENTATION = tuple(
    utc_text(notes.c[name]).label(name) if name in ("created_at", "updated_at") else notes.c[name]
    for name in FIELDS
)


# SQLite only: each note's JSON as json_row(*REPRESENTATION) writes it, kept by SQLite itself
# in a generated column (migration 0004) and read by a page instead of made for every row of
# it. Not a column of ``notes`` above: PostgreSQL has no such column (its generated columns
# take immutable expressions, and to_char of a time is not one), so the model would not
# match its database there. A change to FIELDS needs a migration redefining the column.
STORED_JSON = sa.literal_column("notes.representation", sa.LargeBinary())


# POST Idempotency-Keys (migration 0003); see store.NoteStore.create and docs/notes.md.
idempotency_keys = sa.Table(
    "notes_idempotency_keys",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("note_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("response", sa.Text(), nullable=False),
    sa.Column("stored_at", sa.Float(), nullable=False),
    sa.Index("ix_notes_idempotency_keys_stored_at", "stored_at"),
)
