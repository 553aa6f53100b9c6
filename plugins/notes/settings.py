"""The ``[plugins.notes]`` table: where the notes live and how the API behaves."""

from typing import Literal

from pydantic import Field, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway import PluginSettings

MIB = 1024 * 1024

# The async drivers this plugin is written and tested against, with the URL a user most likely
# meant when they wrote a synchronous one.
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
_DRIVER_HINTS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}


class NotesSettings(PluginSettings):
    """Every key of ``[plugins.notes]``; docs/notes.md describes each one."""

    # A relative SQLite path is resolved against the folder of plugins.toml.
    database_url: str = "sqlite+aiosqlite:///notes.db"
    # Apply the shipped Alembic migrations at start-up; off, the start fails unless the
    # database is already at the plugin's head revision (see `gateway notes migrate`).
    migrate_on_start: bool = True
    # Largest request body, in bytes, that POST, PUT and PATCH read; larger ones get a 413.
    max_body_size: int = Field(MIB, ge=1024, le=64 * MIB)
    default_limit: int = Field(50, ge=1)
    max_limit: int = Field(500, ge=1, le=10_000)
    # Most bytes of notes one list page carries; a page stops before the note that would
    # pass it (and has a next link), so 500 notes of 100,000 characters are not one 50 MB page.
    max_page_bytes: int = Field(4 * MIB, ge=64 * 1024, le=256 * MIB)
    pool_size: int = Field(10, ge=1, le=200)
    # 0 by default: under sustained load above pool_size, overflow connections are closed on
    # return and reopened by the next request, which costs far more than a short queue.
    max_overflow: int = Field(0, ge=0, le=200)
    # Seconds a request waits for a free database connection before it answers 503.
    pool_timeout: float = Field(10.0, gt=0, le=300)
    # FULL survives power loss as well as a killed process; NORMAL survives only the latter
    # (in WAL mode) and saves one fsync per write. docs/notes.md has the argument.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    # Seconds a write waits for another process's SQLite write lock before answering 503.
    sqlite_busy_timeout: float = Field(5.0, ge=0, le=600)
    # Seconds a start-up waits for another process that is migrating the same database.
    migration_lock_timeout: float = Field(300.0, gt=0, le=3600)
    # PostgreSQL: seconds to open a connection, and seconds one statement may run; past either
    # the request answers 503 instead of hanging for as long as a network partition lasts.
    connect_timeout: float = Field(5.0, gt=0, le=300)
    # Seconds a POST's Idempotency-Key is remembered (a retry within it replays the answer).
    idempotency_ttl: float = Field(86400.0, ge=60, le=30 * 86400)
    statement_timeout: float = Field(10.0, gt=0, le=3600)
    # Seconds one request may spend on the database in all: waiting for a pooled connection,
    # connecting, its statements. Unset, the longest single bound (pool_timeout,
    # connect_timeout, statement_timeout + 1): a partition costs one timeout, never their sum.
    request_timeout: float | None = Field(None, gt=0, le=3600)

    @property
    def deadline(self) -> float:
        """Seconds a request's database work may take before it answers 503."""
        if self.request_timeout is not None:
            return self.request_timeout
        return max(self.pool_timeout, self.connect_timeout, self.statement_timeout + 1)

    @field_validator("database_url")
    @classmethod
    def _supported_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ValueError as exc:  # make_url's int() of a port that is not a number
            port = str(exc).rpartition(": ")[2]
            raise ValueError(
                f"the port in the URL, {port}, is not a number; write host:port with digits, "
                "for example postgresql+asyncpg://user@db.internal:5432/notes"
            ) from None
        except ArgumentError:
            raise ValueError(
                "not a database URL; expected for example sqlite+aiosqlite:///notes.db or "
                "postgresql+asyncpg://user@host/dbname"
            ) from None
        if url.drivername not in SUPPORTED_DRIVERS:
            hint = _DRIVER_HINTS.get(url.drivername)
            suggestion = f"; use {hint}://..." if hint else ""
            raise ValueError(
                f"driver {url.drivername!r} is not supported (supported: "
                f"{', '.join(SUPPORTED_DRIVERS)}){suggestion}"
            )
        if url.drivername.startswith("sqlite") and url.database in (None, "", ":memory:"):
            raise ValueError(
                "an in-memory SQLite database is not supported (every connection would see "
                "its own empty database); give a file, for example sqlite+aiosqlite:///notes.db"
            )
        return value

    @model_validator(mode="after")
    def _limits_agree(self) -> "NotesSettings":
        if self.default_limit > self.max_limit:
            raise ValueError(
                f"default_limit ({self.default_limit}) must not exceed max_limit ({self.max_limit})"
            )
        return self
