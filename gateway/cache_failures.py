"""An origin's failures remembered, so that a failing or rate-limiting origin is not asked again
at once.

- Per key (negative caching of failures): a fill that failed is recorded under
  ``<key>#failed`` for a while; meanwhile the caller answers that key from what it has (a
  stale entry, or the same failure) without calling the origin.
- For the origin as a whole (a quota window): after a 429, no call for any key until its
  ``Retry-After`` has passed, recorded under one key (``ratelimit``).

Both are :class:`~gateway.cache_entry.OriginFailure` values in the cache's own store, so on
Redis every process sharing it sees them, and while Redis is down this process's stand-in
memory keeps them. The window is also held by this process itself: reading it is an attribute
when one is open, and a Redis outage (or its end, which empties the stand-in) never reopens
the origin to this process early.
"""

from __future__ import annotations

import time

from gateway.cache_entry import OriginFailure
from gateway.cache_store import CacheStore

FAILED_SUFFIX = "#failed"
WINDOW_KEY = "ratelimit"


class OriginFailures:
    """The failures of one origin, in ``store`` (the store its answers are cached in)."""

    def __init__(self, store: CacheStore, *, window_key: str = WINDOW_KEY) -> None:
        self.store = store
        self.window_key = window_key
        # This process's own record of the open window (0: none seen).
        self._window_until = 0.0

    async def recall(self, key: str) -> OriginFailure | None:
        """The failure recorded for ``key`` (kept for as long as :meth:`remember` was told)."""
        return await self._read(key + FAILED_SUFFIX)

    async def remember(self, key: str, failure: OriginFailure, keep_for: float) -> bool:
        """Record ``failure`` for ``key`` for ``keep_for`` seconds (which may outlast
        ``failure.until``: long enough for other processes waiting on the key's fill to read
        it); returns whether it was stored."""
        return await self.store.set(key + FAILED_SUFFIX, failure, keep_for)

    async def window_until(self) -> float | None:
        """When the open window closes (wall clock), or None when none is open."""
        now = time.time()
        if self._window_until > now:
            return self._window_until
        failure = await self._read(self.window_key)
        if failure is not None and failure.until > now:
            return failure.until
        return None

    async def open_window(
        self, seconds: float, *, kind: str = "rate-limited", status: int | None = 429
    ) -> float:
        """Record that the origin may not be called for ``seconds``; returns when it may."""
        now = time.time()
        until = now + seconds
        self._window_until = max(self._window_until, until)
        await self.store.set(self.window_key, OriginFailure(kind, status, "", now, until), seconds)
        return until

    async def _read(self, key: str) -> OriginFailure | None:
        store = self.store
        value = store.peek(key)
        if value is None:
            value = await store.get(key)
        return value if isinstance(value, OriginFailure) else None
