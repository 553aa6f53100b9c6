"""Engines: the URL resolved against the config folder, SQLite tuned for concurrent, durable use.

The serving engine runs in autocommit mode: every write the store makes is one atomic
statement (``INSERT/UPDATE/DELETE ... RETURNING``), so there is no transaction to leave open,
nothing to roll back on return to the pool, and a failed statement is undone by the database
itself before the connection serves the next request.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext import asyncio as sqlalchemy_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from gateway_plugins.notes.settings import NotesSettings


def resolve_url(database_url: str, config_dir: str | Path) -> URL:
    """``database_url`` with a relative SQLite path made absolute against ``config_dir``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database).expanduser()
        if not path.is_absolute():
            path = Path(config_dir) / path
        url = url.set(database=str(path.resolve()))
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> Path:
    assert url.database is not None
    return Path(url.database)


def check_sqlite_folder(url: URL) -> None:
    """Fail with the path when the SQLite file's folder is missing (SQLite's message is not)."""
    folder = sqlite_path(url).parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"the folder of the SQLite database {sqlite_path(url)} does not exist; create it "
            "or change database_url (a relative path is resolved against the folder of "
            "plugins.toml)"
        )


def sqlite_pragmas(settings: NotesSettings, *, busy_timeout: float | None = None) -> list[str]:
    """The PRAGMAs every SQLite connection of the plugin runs when it opens."""
    timeout_ms = round(
        1000 * (settings.sqlite_busy_timeout if busy_timeout is None else busy_timeout)
    )
    return [
        # First: switching a new database to WAL needs a lock another process may hold.
        f"PRAGMA busy_timeout={timeout_ms}",
        # WAL: readers never wait for the writer and the writer never waits for readers.
        "PRAGMA journal_mode=WAL",
        # A commit returns only once its WAL frames are written (and, with FULL, fsynced), so
        # every acknowledged write survives the process being killed.
        f"PRAGMA synchronous={settings.sqlite_synchronous}",
    ]


def open_engine(url: URL, settings: NotesSettings) -> AsyncEngine:
    """The engine that serves requests: pooled, autocommit, never reset on return."""
    options: dict[str, Any] = {
        "isolation_level": "AUTOCOMMIT",
        # Autocommit connections hold no transaction, so the reset's ROLLBACK would only cost
        # a round trip (a thread hop on SQLite) per request.
        "pool_reset_on_return": None,
        "skip_autocommit_rollback": True,
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.pool_timeout,
        "connect_args": connect_args(url, settings, statements=True),
    }
    # Looked up on the module at each call, not imported by name: SQLAlchemy's OpenTelemetry
    # instrumentation (the host's [gateway.tracing]) wraps the module's function once the
    # gateway starts, and only engines built through the wrapper are traced.
    engine = sqlalchemy_asyncio.create_async_engine(url, **options)
    if is_sqlite(url):
        _run_on_connect(engine, sqlite_pragmas(settings))
    else:
        _replace_closed_on_checkout(engine)
    return engine


def _replace_closed_on_checkout(engine: AsyncEngine) -> None:
    """A pooled connection the server or the network closed while idle is replaced at checkout.

    asyncpg notices a closed socket as soon as the event loop does, so this costs no round trip
    (unlike ``pool_pre_ping``); without it, the first statement on each such connection failed,
    although nothing had been sent and the server was back.
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the pooled connection was closed while idle")


def connect_args(url: URL, settings: NotesSettings, *, statements: bool) -> dict[str, Any]:
    """The driver's own bounds: how long connecting may take, and (``statements``) each query.

    asyncpg's ``timeout`` bounds the connection (a black-holed network would otherwise hang
    for as long as the partition lasts); PostgreSQL's ``statement_timeout`` makes the server
    cancel a statement that runs too long, and asyncpg's ``command_timeout`` (a little longer)
    gives up on a server that does not answer at all.
    """
    if is_sqlite(url):
        return {}
    options: dict[str, Any] = {"timeout": settings.connect_timeout}
    if statements:
        options["command_timeout"] = settings.statement_timeout + 1
        options["server_settings"] = {
            "statement_timeout": str(round(settings.statement_timeout * 1000))
        }
    return options


def open_migration_engine(url: URL, settings: NotesSettings, *, wait: bool = True) -> AsyncEngine:
    """A one-connection engine for Alembic, with real transactions around the DDL.

    On SQLite every transaction starts with ``BEGIN IMMEDIATE``: the migration holds the
    database's write lock from its first statement, so a second process starting at the same
    time waits (up to ``migration_lock_timeout``) and then finds the schema already current,
    and the DDL commits or rolls back as a whole.
    """
    engine = sqlalchemy_asyncio.create_async_engine(
        url, poolclass=NullPool, connect_args=connect_args(url, settings, statements=False)
    )
    if is_sqlite(url):
        # Not waiting: long enough to take a free lock, short enough not to hold up start-up.
        lock_wait = (
            settings.migration_lock_timeout if wait else min(0.5, settings.migration_lock_timeout)
        )
        pragmas = sqlite_pragmas(settings, busy_timeout=lock_wait)
        sync_engine = engine.sync_engine

        @event.listens_for(sync_engine, "connect")
        def _connect(dbapi_connection: Any, record: Any) -> None:
            _execute_all(dbapi_connection, pragmas)
            # Hand transaction control to SQLAlchemy's begin event below, not to the driver.
            dbapi_connection.isolation_level = None

        @event.listens_for(sync_engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _run_on_connect(engine: AsyncEngine, statements: list[str]) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        _execute_all(dbapi_connection, statements)


def _execute_all(dbapi_connection: Any, statements: list[str]) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for statement in statements:
            cursor.execute(statement)
    finally:
        cursor.close()


@dataclass(frozen=True)
class PoolUse:
    """How many of the pool's connections are in use: the "notes database pool use" metric."""

    size: int
    checked_out: int
    overflow: int
    max_overflow: int

    @property
    def capacity(self) -> int:
        return self.size + self.max_overflow


def pool_use(engine: AsyncEngine, settings: NotesSettings) -> PoolUse:
    pool: Any = engine.pool
    return PoolUse(
        size=pool.size(),
        checked_out=pool.checkedout(),
        overflow=max(pool.overflow(), 0),
        max_overflow=settings.max_overflow,
    )
