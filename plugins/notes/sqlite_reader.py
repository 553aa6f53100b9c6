"""SQLite reads on one dedicated thread, executed in batches.

aiosqlite (under SQLAlchemy) costs a thread hand-off per call, and several per query; under load
those hand-offs, not SQLite, are what limits a read: measured on this project's machine, a
single-note GET managed about 5k requests/s that way. Here every read queued while the thread
is busy runs in its next batch, and the whole batch comes back to the event loop with one
wake-up, which gave about 17k requests/s for the same GET. The event loop never waits for
SQLite.

The thread's connection is read-only (``PRAGMA query_only``) and in autocommit mode, so each
SELECT sees every write committed before it started (WAL lets it run while a write is
in progress). Writes stay on the SQLAlchemy engine.
"""

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_Read = tuple[str, Sequence[Any], "asyncio.Future[list[Any]]"]
_STOP = None


class SQLiteReader:
    """Runs SELECTs on a private read-only connection; :meth:`fetch` awaits the rows."""

    def __init__(self, path: Path, pragmas: Sequence[str]) -> None:
        self._path = path
        self._pragmas = list(pragmas)
        self._loop = asyncio.get_running_loop()
        self._jobs: queue.SimpleQueue[list[_Read] | None] = queue.SimpleQueue()
        self._waiting: list[_Read] = []
        self._busy = False
        self._opened: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(
            target=self._run, name=f"notes-sqlite-reader:{path.name}", daemon=True
        )

    @property
    def queued(self) -> int:
        """Reads waiting for the thread (a sign of load, for metrics)."""
        return len(self._waiting)

    async def start(self) -> None:
        self._thread.start()
        await self._opened

    async def close(self) -> None:
        self._jobs.put(_STOP)
        await asyncio.to_thread(self._thread.join, 10)

    def fetch(self, sql: str, params: Sequence[Any]) -> "asyncio.Future[list[Any]]":
        """Every row of ``sql`` with ``params``, as tuples."""
        future: asyncio.Future[list[Any]] = self._loop.create_future()
        self._waiting.append((sql, params, future))
        if not self._busy:
            self._send()
        return future

    def _send(self) -> None:
        batch, self._waiting = self._waiting, []
        self._busy = True
        self._jobs.put(batch)

    def _done(self, batch: list[_Read], results: list[Any]) -> None:
        self._busy = False
        if self._waiting:
            self._send()
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():  # the request was cancelled meanwhile
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            for pragma in self._pragmas:
                connection.execute(pragma)
            connection.execute("PRAGMA query_only=1")
        except BaseException as exc:
            self._loop.call_soon_threadsafe(_settle, self._opened, exc)
            return
        self._loop.call_soon_threadsafe(_settle, self._opened, None)
        try:
            while (batch := self._jobs.get()) is not _STOP:
                results: list[Any] = []
                for sql, params, _ in batch:
                    try:
                        results.append(connection.execute(sql, params).fetchall())
                    except Exception as exc:  # that read's failure, delivered to its caller
                        results.append(exc)
                try:
                    self._loop.call_soon_threadsafe(self._done, batch, results)
                except RuntimeError:  # the loop closed under us: nobody is waiting any more
                    return
        finally:
            connection.close()


def _settle(future: "asyncio.Future[None]", error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
