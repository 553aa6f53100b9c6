"""This process's own memory of entries, each kept for a time to live.

It stands where aiocache's ``SimpleMemoryCache`` stood: the whole cache for ``memory://``, the
stand-in for a shared cache while it is down, and the process's record of the rate-limit
window. It gives the same answers for the same calls (tests/crypto/test_memory_store.py runs
one sequence of calls on both), but reads without a coroutine (:meth:`MemoryStore.peek`):
through aiocache's public API a memory read is about 27k instructions of decorators, timeouts
and plugin hooks, which made a cache hit a fifth dearer (bench/README.md).

Expired entries are dropped when read, and every :data:`SWEEP_EVERY` writes all expired
entries are swept, so keys that are never read again do not grow the memory without bound
(aiocache schedules one timer per key instead).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

SWEEP_EVERY = 1024


class MemoryStore:
    """Values by key, each until its time to live has passed (``None``: forever)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._items: dict[str, tuple[Any, float | None]] = {}
        self._writes = 0

    def __len__(self) -> int:
        return len(self._items)

    def peek(self, key: str) -> Any:
        """The value stored under ``key``, or ``None`` when there is none or it expired."""
        item = self._items.get(key)
        if item is None:
            return None
        value, until = item
        if until is not None and until <= self._clock():
            del self._items[key]
            return None
        return value

    async def get(self, key: str) -> Any:
        return self.peek(key)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> bool:
        """Store ``value`` under ``key`` for ``ttl`` seconds (``None``: until cleared)."""
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            self.sweep()
        self._items[key] = (value, None if ttl is None else self._clock() + ttl)
        return True

    async def delete(self, key: str) -> int:
        return 1 if self._items.pop(key, None) is not None else 0

    async def clear(self) -> bool:
        self._items.clear()
        return True

    def sweep(self) -> None:
        """Drop every expired entry."""
        now = self._clock()
        expired = [k for k, (_, until) in self._items.items() if until is not None and until <= now]
        for key in expired:
            del self._items[key]
