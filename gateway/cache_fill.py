"""Coalescing of concurrent misses: one origin call per key, in one process and across many.

In a process, the first task to miss a key leads and the others wait for it (an asyncio
future per key). Across processes sharing a Redis store, the leader also takes the store's
fill lock (``redis.asyncio.lock.Lock``); a leader that finds it held waits for it. Whoever
waited looks at the store again before calling the origin: 100 concurrent misses, in one
process or spread over workers, make one origin call when the answer is storable. When it is
not (``private``, ``no-store``), the waiters go on to the origin together, each with its own
request, never one after another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.cache_store import OPERATION_TIMEOUT, CacheStore

log = logging.getLogger("gateway.cache")


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

    def filling(self, key: str) -> bool:
        """Whether a task of this process is filling ``key`` now."""
        return key in self._leaders

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
        lock = self.store.lock(key, self.hold_for)
        held = waited = False
        try:
            if lock is not None:
                held, waited = await self._take(lock)
            yield waited
        finally:
            del self._leaders[key]
            done.set_result(None)
            if held and lock is not None:
                try:
                    async with asyncio.timeout(OPERATION_TIMEOUT):
                        await lock.release()
                except Exception as exc:
                    # Expired (the fill outlived hold_for) or Redis is gone: it frees itself.
                    log.debug("could not release the fill lock of %s: %s", key, exc)

    async def _take(self, lock: object) -> tuple[bool, bool]:
        """(held, waited): take the lock, waiting up to ``wait_for`` for another process."""
        try:
            async with asyncio.timeout(OPERATION_TIMEOUT):
                if await lock.acquire(blocking=False):  # type: ignore[attr-defined]
                    return True, False
            async with asyncio.timeout(self.wait_for + OPERATION_TIMEOUT):
                held = await lock.acquire(  # type: ignore[attr-defined]
                    blocking=True, blocking_timeout=self.wait_for
                )
            return bool(held), True
        except Exception as exc:
            failed = getattr(self.store, "store_failed", None)
            if failed is not None:
                failed("take the fill lock", exc)
            return False, False
