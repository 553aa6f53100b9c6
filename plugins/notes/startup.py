"""Opening the notes database without holding up the process: start-up work in the background.

The first attempt runs during the gateway's start-up. When it cannot finish now, because the
database does not answer (a PostgreSQL outage, a black-holed network) or because another
process holds the migration lock, the gateway starts anyway: liveness answers, the rest of the
gateway serves, notes requests get a 503 problem, ``notes:startup`` fails (so this instance is
not ready) and a background task keeps trying until the database is open. A problem that no
retry fixes (a missing SQLite folder, a schema behind the plugin with ``migrate_on_start =
false``) still stops the start with the plugin's name and the fix.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from gateway_plugins.notes import migrate
from gateway_plugins.notes.database import check_sqlite_folder, is_sqlite
from gateway_plugins.notes.settings import NotesSettings
from gateway_plugins.notes.store import (
    UNAVAILABLE,
    DatabaseUnavailable,
    NoteStore,
    StatementCancelled,
)

log = logging.getLogger("gateway_plugins.notes.startup")

# Seconds between background attempts: doubling from the first, up to the last.
RETRY_FIRST = 0.5
RETRY_MOST = 5.0


class DatabaseRefused(Exception):
    """The database server refused the plugin's URL: the start fails with the fix."""


# PostgreSQL's SQLSTATEs for a refusal the operator fixes in the URL or on the server.
_REFUSALS = {
    "3D000": "create it (createdb -h {host} -p {port} -U {user} {database}), or correct the "
    "database name in database_url",
    "28P01": "correct the password in database_url (use ${{VAR}} or ${{file:...}} "
    "to keep it out of the file)",
    "28000": "allow this user and address in the server's pg_hba.conf, or correct the user in "
    "database_url",
}


def refusal(url: URL, exc: DBAPIError) -> str:
    """What the server said, once, without SQLAlchemy's wrapping, and how to fix it."""
    said = str(exc.orig).strip() or type(exc.orig).__name__
    code = getattr(exc.orig, "sqlstate", None)
    fix = _REFUSALS.get(code or "", "check database_url and the server's log")
    fix = fix.format(
        host=url.host or "localhost",
        port=url.port or 5432,
        user=url.username or "postgres",
        database=url.database,
    )
    where = f"{url.host or 'localhost'}:{url.port or 5432}" if url.host or url.port else "server"
    return f"database_url: the database server at {where} refused: {said} (fix: {fix})"


class NotesDatabase:
    """The notes plugin's database as its handlers see it: still opening, or open."""

    def __init__(self, url: URL, settings: NotesSettings) -> None:
        self.url = url
        self.settings = settings
        self.store: NoteStore | None = None
        # The gateway's, while tracing is on (gateway.TRACER_PROVIDER): reads become spans.
        self.tracer_provider: Any = None
        # What the start-up is waiting for, while it waits (for notes:startup and the 503s).
        self.waiting_for = "the gateway is starting"
        self._opening: asyncio.Task[None] | None = None
        # Requests answered 503 since the database last answered (0: it answers).
        self.failing = 0

    async def start(self) -> None:
        """Open now if that can be done without waiting; else keep trying in the background."""
        if is_sqlite(self.url):
            check_sqlite_folder(self.url)  # no retry creates a folder: fail the start
        try:
            self.store = await NoteStore.open(
                self.url, self.settings, wait=False, tracer_provider=self.tracer_provider
            )
            return
        except migrate.MigrationLockBusy as exc:
            self.waiting_for = str(exc)
            # The background opening waits on the lock itself (open(wait=True)): it may start
            # at once, and open as soon as the other process's migration ends.
            first_delay = 0.0
        except UNAVAILABLE as exc:
            self.waiting_for = f"the database does not answer ({type(exc).__name__}: {exc})"
            first_delay = RETRY_FIRST
        except DBAPIError as exc:
            # The server answered and refused (no such database, a wrong password): no retry
            # fixes that, and the operator needs the key and the fix, not SQLAlchemy's text.
            raise DatabaseRefused(refusal(self.url, exc)) from None
        log.warning(
            "notes starts without its database: %s; notes requests answer 503 until it is "
            "open, retried in the background",
            self.waiting_for,
        )
        self._opening = asyncio.get_running_loop().create_task(
            self._open_in_background(first_delay), name="notes database start-up"
        )

    def require(self) -> NoteStore:
        """The open store, or :class:`DatabaseStarting` (a 503) while it is still opening."""
        if self.store is None:
            raise DatabaseStarting(self.waiting_for)
        return self.store

    def unavailable(self, what: str, exc: BaseException) -> None:
        """Log a request the database could not serve: a traceback only when an outage begins.

        An outage is expected, and a traceback per request made megabytes of log in seconds:
        the first failure carries the cause, the rest are debug lines, and
        :meth:`answered` says when it is over.
        """
        if not self.failing:
            # A lock held past sqlite_busy_timeout (or PostgreSQL's statement_timeout) is
            # documented and expected: its one line says why. An outage's first failure
            # carries the traceback of its cause.
            busy = _is_lock_timeout(exc)
            log.warning(
                "notes database unavailable (first failure: %s%s); answering 503 until it "
                "answers again",
                what,
                f": {exc}" if busy else "",
                exc_info=None if busy else exc,
            )
        else:
            log.debug("notes database still unavailable for %s: %s", what, exc)
        self.failing += 1

    def answered(self) -> None:
        """A request was served: end the outage, if there was one, with one line."""
        if self.failing:
            log.warning(
                "notes database answers again (%d requests answered 503 meanwhile)", self.failing
            )
            self.failing = 0

    async def close(self) -> None:
        if self._opening is not None:
            self._opening.cancel()
            await asyncio.gather(self._opening, return_exceptions=True)
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def _open_in_background(self, first_delay: float) -> None:
        delay = first_delay
        last_error = ""
        while True:
            await asyncio.sleep(delay)
            delay = min(max(delay * 2, RETRY_FIRST), RETRY_MOST)
            try:
                self.store = await NoteStore.open(
                    self.url, self.settings, wait=True, tracer_provider=self.tracer_provider
                )
            except UNAVAILABLE as exc:
                self.waiting_for = f"the database does not answer ({type(exc).__name__}: {exc})"
                continue
            except Exception as exc:
                self.waiting_for = f"{type(exc).__name__}: {exc}"
                if self.waiting_for != last_error:  # one traceback per distinct failure
                    log.exception("notes could not open its database; retrying")
                    last_error = self.waiting_for
                continue
            log.warning("notes database is open: notes requests are served again")
            return


class DatabaseStarting(DatabaseUnavailable):
    """The notes database is not open yet: the gateway started without it."""


def _is_lock_timeout(exc: BaseException | None) -> bool:
    """SQLite's "database is locked" (the busy timeout ran out), or a statement PostgreSQL
    cancelled (statement_timeout, a lock wait), anywhere in the causes."""
    while exc is not None:
        if isinstance(exc, StatementCancelled):
            return True
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
