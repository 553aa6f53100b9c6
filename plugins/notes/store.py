"""NoteStore: every SQL statement of the plugin, on SQLite or PostgreSQL.

Reads are the hot path and skip SQLAlchemy's per-execution work: each statement is built with
SQLAlchemy Core once, compiled once for the engine's dialect, and run directly on the driver
(the batching :class:`SQLiteReader` on SQLite, the pooled asyncpg connection on PostgreSQL).
Writes go through SQLAlchemy Core as single atomic statements with ``RETURNING``; the
representation a write returns is built by the same columns a read selects.
"""

import asyncio
import contextlib
import functools
import hashlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from gateway_plugins.notes import migrate
from gateway_plugins.notes.database import (
    PoolUse,
    check_sqlite_folder,
    is_sqlite,
    open_engine,
    pool_use,
    sqlite_path,
)
from gateway_plugins.notes.metrics import forget_pool, watch_pool
from gateway_plugins.notes.pagination import ListQuery
from gateway_plugins.notes.schema import (
    FIELDS,
    REPRESENTATION,
    STORED_JSON,
    TIMESTAMP_FORMAT,
    idempotency_keys,
    json_row,
    notes,
)
from gateway_plugins.notes.settings import NotesSettings
from gateway_plugins.notes.sqlite_reader import SQLiteReader

log = logging.getLogger("gateway_plugins.notes.store")


class StoredNote(NamedTuple):
    """A note as the API shows it, and its version (the ETag)."""

    body: dict[str, Any]
    version: int


class NoteJSON(NamedTuple):
    """A note as the API sends it (its JSON, UTF-8), and its version (the ETag)."""

    body: bytes
    version: int


class DatabaseUnavailable(Exception):
    """The database could not be reached, or stayed locked or busy: retrying may succeed."""


class StatementCancelled(DatabaseUnavailable):
    """The server cancelled the statement (statement_timeout, a lock wait, a deadlock).

    Nothing was applied; an expected condition (a lock held too long), logged without a
    traceback.
    """


class WriteOutcomeUnknown(DatabaseUnavailable):
    """The connection was lost (or stopped answering) while a write was in flight.

    The statement may have been applied (autocommit: it commits on the server before the reply
    that was lost) or not; only reading again tells.
    """


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used for a different request."""


@dataclass(frozen=True)
class CreatedOnce:
    """The answer to a POST with an Idempotency-Key: the note's JSON as first sent."""

    note_id: int
    version: int
    body: bytes
    replayed: bool


def request_fingerprint(fields: dict[str, Any]) -> str:
    """SHA-256 of the validated fields: what "the same request" means for an idempotency key."""
    return hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()


class NoteNotFound(Exception):
    """No note has this id."""


class VersionMismatch(Exception):
    """If-Match named none of the note's current versions."""

    def __init__(self, version: int) -> None:
        super().__init__(f"the note is at version {version}")
        self.version = version


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]

    def args(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] if name in values else self.defaults[name] for name in self.names]


# What asyncpg raises when the connection itself is gone, rather than the query being wrong.
_DISCONNECTED = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    # The protocol is in a state a fresh connection fixes (seen after a server restart).
    asyncpg.exceptions.InternalClientError,
)
# What an unreachable, overloaded or locked database raises, through SQLAlchemy or straight
# from the driver on the read path: DatabaseUnavailable, a 503, not a bug.
UNAVAILABLE = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
    sqlite3.OperationalError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.QueryCanceledError,
    *_DISCONNECTED,
)
_ONE_COLUMNS = (*REPRESENTATION, notes.c.version)


# What PostgreSQL raises when it cancels a statement rather than run it: nothing was applied.
_CANCELLED_BY_SERVER = (
    asyncpg.exceptions.QueryCanceledError,
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception under SQLAlchemy's wrapping (or ``exc`` itself)."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        return exc.orig.__cause__ or exc.orig
    return exc


def unavailable(exc: BaseException, *, in_flight: bool) -> DatabaseUnavailable | None:
    """What a failure of the database means for a request: a 503 of which kind, or None.

    ``in_flight``: a write (or a COMMIT) had been sent and its answer not yet received, so a
    lost connection leaves its outcome unknown. None: not an outage but a bug, which stays a 500.
    """
    if isinstance(exc, DatabaseUnavailable):
        return exc
    cause = _driver_error(exc)
    what = f"{type(cause).__name__}: {cause}"
    if isinstance(cause, _CANCELLED_BY_SERVER):
        return StatementCancelled(what)
    if _lost_connection(exc) or isinstance(exc, TimeoutError):
        # TimeoutError: the request's deadline, or asyncpg's command_timeout.
        return WriteOutcomeUnknown(what) if in_flight else DatabaseUnavailable(what)
    if isinstance(exc, UNAVAILABLE) or isinstance(cause, UNAVAILABLE):
        return DatabaseUnavailable(what)
    return None


def _lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection went away, rather than the server refusing."""
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig.__cause__ or exc.orig if exc.orig is not None else exc
    if isinstance(exc, asyncpg.exceptions.QueryCanceledError):
        return False  # statement_timeout: the server cancelled it, nothing was applied
    return isinstance(exc, _DISCONNECTED)


_NOTE_KEYS = FIELDS  # the first len(FIELDS) columns of a row; then the version


class _Attempt:
    """One store operation of a request: whether a write of it awaits the server's answer."""

    __slots__ = ("in_flight",)

    def __init__(self) -> None:
        self.in_flight = False


# The operation the current task is running, so that an operation called by another (update's
# read after a miss) runs under the caller's deadline instead of starting one of its own.
_ATTEMPT: ContextVar[_Attempt | None] = ContextVar("notes_store_attempt", default=None)

# Reads, which on SQLite need no deadline (see _bounded).
_SQLITE_UNBOUNDED = frozenset({"get", "get_json", "page", "version"})

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _bounded(
    method: Callable[Concatenate["NoteStore", _P], Coroutine[Any, Any, _T]],
) -> Callable[Concatenate["NoteStore", _P], Coroutine[Any, Any, _T]]:
    """Run a store operation under one deadline, and turn every outage into its 503.

    The deadline (``request_timeout``) bounds the pool's wait, connecting and the statements
    together: in a partition each bound alone was kept, and a request waited their sum.
    """

    @functools.wraps(method)
    async def bounded(self: "NoteStore", *args: _P.args, **kwargs: _P.kwargs) -> _T:
        if _ATTEMPT.get() is not None:
            return await method(self, *args, **kwargs)
        if self._sqlite and method.__name__ in _SQLITE_UNBOUNDED:
            # A read of a local file: no network to partition, sqlite_busy_timeout bounds it,
            # and the hot path pays for no timer.
            return await method(self, *args, **kwargs)
        attempt = _Attempt()
        token = _ATTEMPT.set(attempt)
        try:
            async with asyncio.timeout(self.settings.deadline):
                return await method(self, *args, **kwargs)
        except Exception as exc:
            mapped = unavailable(exc, in_flight=attempt.in_flight and not self._sqlite)
            if mapped is None or mapped is exc:
                raise
            raise mapped from exc
        finally:
            _ATTEMPT.reset(token)

    return bounded


def _sending() -> _Attempt:
    """The running operation's attempt (a fresh one outside any: tests call internals)."""
    return _ATTEMPT.get() or _Attempt()


async def _invalidate_when_cancelled(conn: Any, work: Awaitable[_T]) -> _T:
    """Await ``work`` on ``conn``; a statement cut short (the deadline) discards the connection.

    The driver's connection may be mid-protocol then: it must not serve the next request.
    """
    try:
        return await work
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await conn.invalidate()
        raise


class NoteStore:
    """The notes of one database. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(
        self, engine: AsyncEngine, settings: NotesSettings, reader: SQLiteReader | None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self._reader = reader
        self._sqlite = reader is not None
        # Every read's rows (_fetch); wrapped in client spans by trace_reads, while tracing is
        # on. An attribute rather than a branch: untraced, a read takes no step more.
        self._fetch_rows: Callable[[_Compiled, list[Any]], Awaitable[Sequence[Any]]] = (
            self._read_rows
        )
        # One writer at a time inside this process: SQLite takes one writer anyway, and
        # queueing here is cheaper than every connection polling the lock in busy_timeout.
        self._write_lock = asyncio.Lock() if self._sqlite else None
        self._compiled: dict[Any, _Compiled] = {}
        by_id = notes.c.id == sa.bindparam("id")
        self._get = self._compile(sa.select(*_ONE_COLUMNS).where(by_id))
        self._get_version = self._compile(sa.select(notes.c.version).where(by_id))
        # SQLite: the JSON the page reads too, as SQLite keeps it (schema.STORED_JSON).
        self._get_json = self._compile(sa.select(STORED_JSON, notes.c.version).where(by_id))
        self._get_many = self._compile(
            sa.select(*_ONE_COLUMNS).where(notes.c.id == sa.func.any(sa.bindparam("ids")))
        )
        # When expired idempotency keys were last deleted (time.monotonic()).
        self._purged_at = 0.0
        # PostgreSQL single-note reads waiting for a connection, by id (see _get_batched).
        self._waiting: dict[int, list[asyncio.Future[Any]]] = {}
        self._batches: set[asyncio.Task[None]] = set()
        # Purges of expired idempotency keys, run after the answer (see _purge_expired_keys).
        self._purges: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(
        cls, url: URL, settings: NotesSettings, *, wait: bool = True, tracer_provider: Any = None
    ) -> "NoteStore":
        """Migrate (or check the schema), then open the engine and, on SQLite, the reader.

        ``wait=False``: raise :class:`migrate.MigrationLockBusy` rather than wait for another
        process that is migrating the same database. ``tracer_provider`` (the gateway's, while
        tracing is on): every read is a client span (read_spans.py).
        """
        if is_sqlite(url):
            check_sqlite_folder(url)
        if settings.migrate_on_start:
            applied = await migrate.upgrade(url, settings, wait=wait)
            if applied:
                log.info("applied migrations %s to %s", ", ".join(applied), url)
        else:
            await migrate.require_current(url, settings)
        engine = open_engine(url, settings)
        watch_pool(engine, settings.pool_size + settings.max_overflow)
        reader = None
        if is_sqlite(url):
            timeout_ms = round(settings.sqlite_busy_timeout * 1000)
            reader = SQLiteReader(sqlite_path(url), [f"PRAGMA busy_timeout={timeout_ms}"])
            try:
                await reader.start()
            except BaseException:
                await engine.dispose()
                forget_pool(settings.pool_size + settings.max_overflow)
                raise
        store = cls(engine, settings, reader)
        if tracer_provider is not None:
            store.trace_reads(tracer_provider, url)
        return store

    def trace_reads(self, tracer_provider: Any, url: URL) -> None:
        """Make every read a client span of ``tracer_provider``'s (read_spans.py)."""
        # Here only: nothing of OpenTelemetry is imported while tracing is off.
        from gateway_plugins.notes.read_spans import traced_reads

        self._fetch_rows = traced_reads(self._read_rows, tracer_provider, url)

    async def close(self) -> None:
        if self._batches or self._purges:
            await asyncio.gather(*self._batches, *self._purges, return_exceptions=True)
        if self._reader is not None:
            await self._reader.close()
        await self.engine.dispose()
        forget_pool(self.settings.pool_size + self.settings.max_overflow)

    def pool_use(self) -> PoolUse:
        return pool_use(self.engine, self.settings)

    # Reads ----------------------------------------------------------------------------------

    @_bounded
    async def get(self, note_id: int) -> StoredNote | None:
        if self._sqlite:
            rows = await self._fetch(self._get, {"id": note_id})
            row = rows[0] if rows else None
        else:
            row = await self._get_batched(note_id)
        if row is None:
            return None
        return StoredNote(dict(zip(_NOTE_KEYS, row, strict=False)), row[-1])

    @_bounded
    async def get_json(self, note_id: int) -> NoteJSON | None:
        """The note as a GET sends it. On SQLite, the JSON kept in the row, read as it is:
        no dict built from its columns and encoded again on every read; elsewhere encoded
        from :meth:`get`'s row."""
        if self._sqlite:
            rows = await self._fetch(self._get_json, {"id": note_id})
            return NoteJSON(*rows[0]) if rows else None
        note = await self.get(note_id)
        return None if note is None else NoteJSON(orjson.dumps(note.body), note.version)

    async def _get_batched(self, note_id: int) -> Any:
        """One note's row, read together with the other single-note reads waiting for it.

        While every pooled connection is busy, reads queue here and the next free connection
        answers all of them with one ``WHERE id = ANY(...)``: under load the server runs one
        query per batch instead of one per request; when idle, a batch is one read.
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(note_id, []).append(future)
        if len(self._batches) < self.settings.pool_size:
            task = asyncio.get_running_loop().create_task(self._read_batches())
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)
        return await future

    async def _read_batches(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            try:
                rows = await self._fetch(self._get_many, {"ids": list(batch)})
            except Exception as exc:  # every waiting request gets this batch's error
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            except BaseException:
                for futures in batch.values():
                    for future in futures:
                        future.cancel()
                raise
            found = {row[0]: row for row in rows}
            for note_id, futures in batch.items():
                for future in futures:
                    if not future.done():
                        future.set_result(found.get(note_id))

    @_bounded
    async def version(self, note_id: int) -> int | None:
        rows = await self._fetch(self._get_version, {"id": note_id})
        return rows[0][0] if rows else None

    @_bounded
    async def page(self, query: ListQuery) -> list[Any]:
        """Up to ``query.limit + 1`` notes after the query's position, in its order.

        Each row is (id, value of the sort column, the note as JSON in UTF-8 bytes). The extra
        row only tells the caller that there is a next page.
        """
        shape = (
            query.column,
            query.descending,
            query.created_by is not None,
            query.priority is not None,
            query.after is not None,
        )
        compiled = self._compiled.get(shape)
        if compiled is None:
            statement = _page_statement(*shape, one_select=self.engine.dialect.name == "sqlite")
            compiled = self._compiled[shape] = self._compile(statement)
        values: dict[str, Any] = {
            "limit": query.limit + 1,
            "created_by": query.created_by,
            "priority": query.priority,
        }
        if query.after is not None:
            value, note_id = query.after
            if query.column == "created_at" and not self._sqlite:
                value = datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
            values["after_value"], values["after_id"] = value, note_id
        return list(await self._fetch(compiled, values))

    async def ping(self) -> float:
        """Seconds for one round trip through the engine (and, on SQLite, the reader)."""
        started = time.perf_counter()
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        if self._reader is not None:
            await self._reader.fetch("SELECT 1", ())
        return time.perf_counter() - started

    # Writes ---------------------------------------------------------------------------------

    @_bounded
    async def create(self, fields: dict[str, Any]) -> StoredNote:
        """Insert a note; ``created_at`` defaults to now. The id is the database's."""
        now = datetime.now(UTC)
        values = {"created_at": now, **fields, "updated_at": now, "version": 1}
        row = await self._write_one(sa.insert(notes).values(values).returning(*_ONE_COLUMNS))
        assert row is not None
        return row

    async def create_once(self, fields: dict[str, Any], key: str) -> CreatedOnce:
        """Insert a note unless ``key`` already created one; then replay that first answer.

        The note and its key are written in one transaction, so a retry after a lost reply
        finds either both or neither. The same key with different fields raises
        :class:`IdempotencyKeyReused`. Keys are remembered for ``idempotency_ttl`` seconds.
        """
        created = await self._create_once(fields, key)
        if not created.replayed:
            self._purge_expired_keys()
        return created

    @_bounded
    async def _create_once(self, fields: dict[str, Any], key: str) -> CreatedOnce:
        fingerprint = request_fingerprint(fields)
        for _ in range(2):  # a second pass when a concurrent request with the key won
            remembered = await self._remembered(key)
            if remembered is not None:
                if remembered[0] != fingerprint:
                    raise IdempotencyKeyReused(key)
                return CreatedOnce(remembered[1], remembered[2], remembered[3].encode(), True)
            try:
                return await self._write_locked(self._insert_once(fields, key, fingerprint))
            except sa.exc.IntegrityError:
                continue
        raise DatabaseUnavailable("the idempotency key stayed contended")

    async def _remembered(self, key: str) -> Any:
        cutoff = time.time() - self.settings.idempotency_ttl
        statement = sa.select(
            idempotency_keys.c.fingerprint,
            idempotency_keys.c.note_id,
            idempotency_keys.c.version,
            idempotency_keys.c.response,
        ).where(idempotency_keys.c.key == key, idempotency_keys.c.stored_at >= cutoff)
        # A read: whatever fails here, nothing was written (a plain 503, see _bounded).
        async with self.engine.connect() as conn:
            return (await _invalidate_when_cancelled(conn, conn.execute(statement))).first()

    async def _insert_once(self, fields: dict[str, Any], key: str, fingerprint: str) -> CreatedOnce:
        now = datetime.now(UTC)
        values = {"created_at": now, **fields, "updated_at": now, "version": 1}
        cutoff = time.time() - self.settings.idempotency_ttl
        attempt = _sending()
        async with self.engine.connect() as conn:
            # The engine is autocommit; these two statements need a transaction of their own.
            # Until COMMIT is sent, a failure (even a lost connection) leaves nothing applied:
            # a plain 503, retryable with the same key.
            try:
                await conn.exec_driver_sql("BEGIN IMMEDIATE" if self._sqlite else "BEGIN")
                # An expired record of the key (not purged yet) must not block its reuse.
                await conn.execute(
                    sa.delete(idempotency_keys).where(
                        idempotency_keys.c.key == key, idempotency_keys.c.stored_at < cutoff
                    )
                )
                row = (
                    await conn.execute(sa.insert(notes).values(values).returning(*_ONE_COLUMNS))
                ).first()
                assert row is not None
                note = StoredNote(dict(zip(_NOTE_KEYS, row, strict=False)), row[-1])
                body = orjson.dumps(note.body)
                await conn.execute(
                    sa.insert(idempotency_keys).values(
                        key=key,
                        fingerprint=fingerprint,
                        note_id=note.body["id"],
                        version=note.version,
                        response=body.decode(),
                        stored_at=time.time(),
                    )
                )
                attempt.in_flight = True  # a COMMIT whose answer is lost may have committed
                await conn.exec_driver_sql("COMMIT")
                attempt.in_flight = False
            except BaseException as exc:
                await _end_transaction(conn, exc)
                raise
        return CreatedOnce(note.body["id"], note.version, body, False)

    def _purge_expired_keys(self) -> None:
        # At most once a minute per process: a keyed POST must not pay for a scan each time,
        # nor wait for it: the answer is made, so the purge runs after it, in the background.
        if time.monotonic() - self._purged_at < 60:
            return
        self._purged_at = time.monotonic()
        task = asyncio.get_running_loop().create_task(self._purge())
        self._purges.add(task)
        task.add_done_callback(self._purges.discard)

    async def _purge(self) -> None:
        cutoff = time.time() - self.settings.idempotency_ttl
        try:
            async with asyncio.timeout(self.settings.deadline):
                await self._write_locked(self._execute_purge(cutoff))
        except Exception as exc:  # the next purge will try again
            log.debug("could not purge expired idempotency keys: %s", exc)

    async def _execute_purge(self, cutoff: float) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(
                sa.delete(idempotency_keys).where(idempotency_keys.c.stored_at < cutoff)
            )

    @_bounded
    async def update(
        self, note_id: int, changes: dict[str, Any], versions: Sequence[int] | None
    ) -> StoredNote:
        """Set ``changes`` on the note; ``versions`` (from If-Match) must include its version.

        Raises :class:`NoteNotFound` or :class:`VersionMismatch`. The version check and the
        write are one statement, so two clients that read the same version cannot both win.
        """
        values = {**changes, "updated_at": datetime.now(UTC), "version": notes.c.version + 1}
        statement = (
            sa.update(notes)
            .where(*self._target(note_id, versions))
            .values(values)
            .returning(*_ONE_COLUMNS)
        )
        row = await self._write_one(statement)
        if row is None:
            await self._explain_miss(note_id)
        assert row is not None
        return row

    @_bounded
    async def delete(self, note_id: int, versions: Sequence[int] | None) -> None:
        statement = sa.delete(notes).where(*self._target(note_id, versions)).returning(notes.c.id)
        if await self._write_one(statement, raw=True) is None:
            await self._explain_miss(note_id)

    # Internals ------------------------------------------------------------------------------

    def _compile(self, statement: sa.Select[Any]) -> _Compiled:
        compiled = statement.compile(dialect=self.engine.dialect)
        names = tuple(compiled.positiontup or ())
        return _Compiled(str(compiled), names, dict(compiled.params))

    async def _fetch(self, compiled: _Compiled, values: dict[str, Any]) -> Sequence[Any]:
        try:
            return await self._fetch_rows(compiled, compiled.args(values))
        except UNAVAILABLE as exc:
            raise DatabaseUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def _read_rows(self, compiled: _Compiled, args: list[Any]) -> Sequence[Any]:
        if self._reader is not None:
            return await self._reader.fetch(compiled.sql, args)
        # A connection found closed at checkout is replaced by the pool (database.py). One that
        # dies under the read (the server ended it a moment ago, before its socket was seen
        # closed) is discarded and, reads being idempotent, the read is tried again, until one
        # works or every connection the pool could hold has been tried; a disconnect fails
        # fast, so this is bounded. Never after a timeout: that would multiply a partition's
        # wait.
        for _ in range(self.settings.pool_size + self.settings.max_overflow):
            try:
                return await self._fetch_postgresql(compiled.sql, args)
            except TimeoutError:
                raise
            except _DISCONNECTED:
                continue
        return await self._fetch_postgresql(compiled.sql, args)

    async def _fetch_postgresql(self, sql: str, args: list[Any]) -> Sequence[Any]:
        raw = await self.engine.raw_connection()
        try:
            return await raw.driver_connection.fetch(sql, *args)  # type: ignore[union-attr]
        except BaseException:
            # A query cut short (an error, a cancelled request) can leave the driver's
            # connection mid-protocol: never hand it to the next request.
            await greenlet_spawn(raw.invalidate)
            raise
        finally:
            await greenlet_spawn(raw.close)

    async def _write_one(self, statement: Any, *, raw: bool = False) -> Any:
        return await self._write_locked(self._execute_write(statement, raw))

    async def _write_locked(self, write: Awaitable[_T]) -> _T:
        """Await the ``write`` coroutine under the SQLite write lock (outages: _bounded)."""
        if self._write_lock is None:
            return await write
        async with self._write_lock:
            return await write

    async def _execute_write(self, statement: Any, raw: bool) -> Any:
        # A failure while waiting for or opening the connection means nothing was sent: a
        # plain 503. Once the statement is sent, a lost answer leaves the outcome unknown.
        attempt = _sending()
        async with self.engine.connect() as conn:
            attempt.in_flight = True
            row = (await _invalidate_when_cancelled(conn, conn.execute(statement))).first()
            attempt.in_flight = False
        if row is None or raw:
            return row
        return StoredNote(dict(zip(_NOTE_KEYS, row, strict=False)), row[-1])

    @staticmethod
    def _target(note_id: int, versions: Sequence[int] | None) -> list[Any]:
        where = [notes.c.id == note_id]
        if versions is not None:
            where.append(notes.c.version.in_(list(versions)))
        return where

    async def _explain_miss(self, note_id: int) -> None:
        current = await self.version(note_id)
        if current is None:
            raise NoteNotFound(note_id)
        raise VersionMismatch(current)


async def _end_transaction(conn: Any, exc: BaseException) -> None:
    """Roll back after ``exc``; a connection that is gone or mid-statement is discarded."""
    broken = isinstance(exc, asyncio.CancelledError | TimeoutError) or _lost_connection(exc)
    with contextlib.suppress(Exception):
        if broken:
            await conn.invalidate()
        else:
            await conn.exec_driver_sql("ROLLBACK")


def _page_statement(
    column: str,
    descending: bool,
    by_creator: bool,
    by_priority: bool,
    after: bool,
    *,
    one_select: bool = False,
) -> sa.Select[Any]:
    """The page query of one shape: (id, the sort column's value, the note's JSON) per row.

    ``one_select`` (SQLite): one SELECT reading the index range in order, and each note's JSON
    from the column SQLite keeps it in (schema.STORED_JSON): building it with json_object
    while reading was three quarters of the query's time. SQLite reads result columns only
    for the rows the LIMIT lets out when no sort step is needed, and every shape has an index
    in its order (the plan test checks it). Otherwise the page is a subquery that an outer
    SELECT turns into JSON (PostgreSQL's row_to_json takes a row of one relation) and orders
    again, as SQL promises no order for a subquery; on SQLite that outer sort copied every
    page's JSON through a temporary B-tree, a quarter of the query's time.
    """
    inner = sa.select(*REPRESENTATION)
    if by_creator:
        inner = inner.where(notes.c.created_by == sa.bindparam("created_by"))
    if by_priority:
        inner = inner.where(notes.c.priority == sa.bindparam("priority"))
    # Filtered to one priority, "by priority" is "by id": say so, or SQLite would range over
    # (priority, id) loosely and re-read the whole priority group for every page.
    order_by = "id" if column == "priority" and by_priority else column
    # The sort column with the id as tie-breaker: a total order, so a position is exact.
    keys = [notes.c.id] if order_by == "id" else [notes.c[order_by], notes.c.id]
    if after:
        if order_by == "id":
            bound: sa.BindParameter[int] = sa.bindparam("after_id")
            inner = inner.where(notes.c.id < bound if descending else notes.c.id > bound)
        else:
            row = sa.tuple_(*keys)
            position = sa.tuple_(sa.bindparam("after_value"), sa.bindparam("after_id"))
            inner = inner.where(row < position if descending else row > position)
    inner = inner.order_by(*[key.desc() if descending else key for key in keys])
    inner = inner.limit(sa.bindparam("limit"))
    if one_select:
        value = inner.selected_columns[column]
        return inner.with_only_columns(notes.c.id, value, STORED_JSON)
    page = inner.subquery("page")
    # The outer query keeps the page's order explicitly: SQL promises none for a subquery.
    # It returns the requested sort column's value too, for the next page's cursor.
    order = [page.c[order_by], page.c.id] if order_by != "id" else [page.c.id]
    return sa.select(page.c.id, page.c[column], json_row(*page.c)).order_by(
        *[key.desc() if descending else key for key in order]
    )
