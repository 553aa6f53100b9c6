"""Alembic, run programmatically from inside the package: no alembic.ini, any working folder.

Every entry point (start-up, ``gateway notes migrate``, tests) goes through :func:`upgrade` and
friends, which hold a cross-process lock while Alembic reads and moves the version table:

- PostgreSQL: a session-level ``pg_advisory_lock`` on the migration connection, so when
  several gateway processes start together on an empty database exactly one migrates and the
  others wait, then find the schema current.
- SQLite: the migration's transaction starts with ``BEGIN IMMEDIATE`` (see
  :func:`gateway_plugins.notes.database.open_migration_engine`), which is the same guarantee.
"""

import asyncio
import functools
import weakref
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway_plugins.notes.database import is_sqlite, open_migration_engine
from gateway_plugins.notes.settings import NotesSettings

VERSION_TABLE = "notes_alembic_version"
SCRIPT_LOCATION = Path(__file__).parent / "migrations"
# The advisory lock's key: any fixed 64-bit number that no other plugin uses for its own lock.
ADVISORY_LOCK_KEY = zlib.crc32(b"gateway.plugins.notes.migrations")
_PROCESS_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def alembic_config(**attributes: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes.update(attributes)
    return config


@functools.cache  # the installed files do not change while the process runs
def head_revision() -> str:
    """The newest revision the installed plugin ships (read from disk once per process)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration found in {SCRIPT_LOCATION}: the plugin is incomplete")
    return head


class MigrationLockBusy(Exception):
    """Another process holds the migration lock, and the caller asked not to wait for it."""


async def upgrade(
    url: URL, settings: NotesSettings, revision: str = "head", *, wait: bool = True
) -> list[str]:
    """Migrate up to ``revision``; return the revisions this call applied (often none).

    ``wait=False`` raises :class:`MigrationLockBusy` at once when another process holds the
    lock, instead of waiting up to ``migration_lock_timeout`` for it.
    """
    applied: list[str] = []

    def record(*, step: Any, **_: Any) -> None:
        applied.append(step.up_revision_id)

    await _run_locked(
        url, settings, lambda conn: _command(conn, command.upgrade, revision, record), wait=wait
    )
    return applied


async def downgrade(url: URL, settings: NotesSettings, revision: str) -> list[str]:
    """Migrate down to ``revision`` (``base`` drops the table); return the revisions undone."""
    undone: list[str] = []

    def record(*, step: Any, **_: Any) -> None:
        undone.append(step.up_revision_id)

    await _run_locked(
        url, settings, lambda conn: _command(conn, command.downgrade, revision, record)
    )
    return undone


async def current_revision(url: URL, settings: NotesSettings) -> str | None:
    """The revision the database is at, or None when the plugin never migrated it."""
    engine = open_migration_engine(url, settings)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


async def require_current(url: URL, settings: NotesSettings) -> None:
    """Raise, saying how to fix it, unless the database is at the plugin's head revision."""
    current, head = await current_revision(url, settings), head_revision()
    if current != head:
        state = "has never been migrated" if current is None else f"is at revision {current}"
        raise RuntimeError(
            f"the notes database {url.render_as_string(hide_password=True)} {state}, but this "
            f"version of the plugin needs revision {head}: run `gateway notes migrate` (or "
            "`gateway check --connect --migrate`), or set migrate_on_start = true"
        )


def _current(conn: Connection) -> str | None:
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _command(
    conn: Connection,
    action: Callable[..., None],
    revision: str,
    on_version_apply: Callable[..., None],
) -> None:
    config = alembic_config(connection=conn, on_version_apply=on_version_apply)
    action(config, revision)


async def _run_locked(
    url: URL, settings: NotesSettings, migrate: Callable[[Connection], None], *, wait: bool = True
) -> None:
    # Alembic keeps its running migration in module globals (alembic.context), so two
    # migrations in one process must not interleave; other processes are kept out by the
    # database lock below.
    async with _process_lock():
        await _run_with_database_lock(url, settings, migrate, wait)


async def _run_with_database_lock(
    url: URL, settings: NotesSettings, migrate: Callable[[Connection], None], wait: bool = True
) -> None:
    engine = open_migration_engine(url, settings, wait=wait)
    try:
        async with engine.connect() as conn:
            if is_sqlite(url):
                try:
                    async with conn.begin():  # BEGIN IMMEDIATE: the lock and the transaction
                        await conn.run_sync(migrate)
                except sa.exc.OperationalError as exc:
                    if wait or "locked" not in str(exc):
                        raise
                    raise MigrationLockBusy(_BUSY) from None
                return
            if wait:
                await _advisory_lock(conn, settings.migration_lock_timeout)
            else:
                await _try_advisory_lock(conn)
            async with conn.begin():
                await conn.run_sync(migrate)
            # On failure the lock goes with the connection, which dispose() below closes.
            await conn.execute(
                sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
            await conn.commit()
    finally:
        await engine.dispose()


def _process_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _PROCESS_LOCKS.get(loop)
    if lock is None:
        lock = _PROCESS_LOCKS[loop] = asyncio.Lock()
    return lock


_BUSY = "another process is migrating the notes database (waiting for its migration lock)"


async def _try_advisory_lock(conn: AsyncConnection) -> None:
    held = await conn.scalar(
        sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
    )
    await conn.commit()
    if not held:
        raise MigrationLockBusy(_BUSY)


async def _advisory_lock(conn: AsyncConnection, seconds: float) -> None:
    # lock_timeout bounds the wait for a process that is stuck while migrating; it is a session
    # setting of this short-lived connection only.
    await conn.execute(sa.text(f"SET lock_timeout = {round(seconds * 1000)}"))
    try:
        await conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    except sa.exc.DBAPIError as exc:
        if "lock timeout" not in str(exc):
            raise
        raise RuntimeError(
            f"another process has been migrating the notes database for over {seconds:g} s; "
            "raise migration_lock_timeout or find the stuck process"
        ) from None
    await conn.commit()
