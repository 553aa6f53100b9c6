"""Coalescing of concurrent misses: one origin call per key, in one process and across many.

In a process, the first task to miss a key leads and the others wait for it. Across processes
sharing a Redis store, the leader also takes the store's fill lock
(``redis.asyncio.lock.Lock``); a leader that finds it held waits for it. Two ways to lead in a
process, one lock for both:

- :meth:`FillCoalescer.fill` (the HTTP cache's): the others wait for the leader (an asyncio
  future per key), then look at the store again before calling the origin. 100 concurrent
  misses, in one process or spread over workers, make one origin call when the answer is
  storable; when it is not (``private``, ``no-store``), the waiters go on to the origin
  together, each with its own request, never one after another.
- :meth:`FillCoalescer.share` (the crypto plugin's): the fill runs as a task of its own and
  every caller for the key in this process gets its result, whatever it is, failures
  included; no caller's cancellation (a client gone) cancels the call the others wait for.
  Inside, :meth:`FillCoalescer.locked` takes the cross-process lock and says what happened.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from gateway.cache_store import OPERATION_TIMEOUT, CacheStore

log = logging.getLogger("gateway.cache")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FillTurn:
    """What taking a key's cross-process lock came to (:meth:`FillCoalescer.locked`).

    ``waited``: another process held it first, and this one waited: look at the store again
    before calling the origin. ``timed_out``: it waited ``wait_for`` seconds and never got the
    lock. ``locked``: this process holds the lock now (False on a memory store, or while
    Redis is down: coalescing is then this process's alone).
    """

    waited: bool = False
    timed_out: bool = False
    locked: bool = False


class FillCoalescer:
    """One fill per key at a time: ``async with coalescer.fill(key) as waited: ...``.

    ``waited`` is True when another task or process filled (or tried to) while this one
    waited: look at the store again before calling the origin. ``hold_for`` bounds how long a
    crashed process's lock blocks the others; ``wait_for`` how long a waiter waits before it
    calls the origin itself.
    """

    def __init__(self, store: CacheStore, *, hold_for: float, wait_for: float) -> None:
        self.store = store
        self.hold_for = hold_for
        self.wait_for = wait_for
        self._leaders: dict[str, asyncio.Future[None]] = {}
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def filling(self, key: str) -> bool:
        """Whether a task of this process is filling ``key`` now."""
        return key in self._leaders or key in self._tasks

    @asynccontextmanager
    async def fill(self, key: str) -> AsyncIterator[bool]:
        leader = self._leaders.get(key)
        if leader is not None:
            try:
                async with asyncio.timeout(self.wait_for):
                    await asyncio.shield(leader)
            except TimeoutError:
                pass
            yield True
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._leaders[key] = done
        try:
            async with self.locked(key) as turn:
                yield turn.waited
        finally:
            del self._leaders[key]
            done.set_result(None)

    @asynccontextmanager
    async def locked(self, key: str) -> AsyncIterator[FillTurn]:
        """Hold the store's cross-process lock of ``key`` (if it has one) for the block.

        Coalesces across processes only: a caller coalesces in its own process first
        (:meth:`fill`, :meth:`share`). A lock that cannot be taken (Redis failing) starts the
        store's outage and the block runs without it.
        """
        lock = self.store.lock(key, self.hold_for)
        if lock is None:
            yield FillTurn()
            return
        turn = await self._take(lock)
        try:
            yield turn
        finally:
            if turn.locked:
                try:
                    async with asyncio.timeout(OPERATION_TIMEOUT):
                        await lock.release()
                except Exception as exc:
                    # Expired (the fill outlived hold_for) or Redis is gone: it frees itself.
                    log.debug("could not release the fill lock of %s: %s", key, exc)

    def start(self, key: str, fill: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        """The task filling ``key`` in this process: the running one, or a new one running
        ``fill()`` (not awaited: a background refresh starts it and goes on)."""
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(_awaited(fill), name=f"cache fill {key}")
            self._tasks[key] = task
            task.add_done_callback(functools.partial(self._finished, key))
        return task

    async def share(self, key: str, fill: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``fill()``'s result, run once per key in this process however many ask at once,
        and whether this caller joined a fill already running. Shielded: a caller cancelled
        does not cancel the fill the others wait for."""
        joined = key in self._tasks
        return await asyncio.shield(self.start(key, fill)), joined

    async def close(self) -> None:
        """Cancel the fills still running (the application is stopping)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(self, key: str, task: asyncio.Task[Any]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled() and task.exception() is not None:
            # Its awaiters got it already (a 500 each); this marks it retrieved when none did
            # (a background refresh has no awaiter).
            log.debug("filling %s failed", key, exc_info=task.exception())

    async def _take(self, lock: Any) -> FillTurn:
        """Take the lock, waiting up to ``wait_for`` for another process."""
        try:
            async with asyncio.timeout(OPERATION_TIMEOUT):
                if await lock.acquire(blocking=False):
                    return FillTurn(locked=True)
            async with asyncio.timeout(self.wait_for + OPERATION_TIMEOUT):
                held = bool(await lock.acquire(blocking=True, blocking_timeout=self.wait_for))
            return FillTurn(waited=True, timed_out=not held, locked=held)
        except Exception as exc:
            failed = getattr(self.store, "store_failed", None)
            if failed is not None:
                failed("take the fill lock", exc)
            return FillTurn()


async def _awaited(fill: Callable[[], Awaitable[T]]) -> T:
    return await fill()
