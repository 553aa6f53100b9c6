"""The one adapter over aiocache 0.12: response entries, the rate-limit window, and the fill lock.

Nothing else in the plugin imports aiocache or redis. Two backends:

- ``memory://``: aiocache's ``SimpleMemoryCache`` holding :class:`Entry` objects as they are (no
  serialisation), private to one process. Coalescing is done by the proxy in-process, so
  :meth:`ResponseCache.fill_lock` does nothing here.
- ``redis://``: aiocache's ``RedisCache`` with a compact binary encoding of entries, shared by
  every gateway process using the same Redis and namespace. :meth:`ResponseCache.fill_lock` is
  redis-py's ``redis.asyncio.lock.Lock`` (SET NX PX with a token, released by a Lua script),
  so only one process at a time calls the upstream for a key.

The cache is an optimisation: when the Redis backend fails at run time, reads behave as misses,
writes are dropped and the lock is skipped, with a warning in the log and a failing
``crypto:cache`` health check, never a 500.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from aiocache import Cache
from aiocache.serializers import BaseSerializer
from redis.asyncio.lock import Lock

from gateway_plugins.crypto.settings import CryptoSettings

log = logging.getLogger("gateway_plugins.crypto.cache")

# Seconds one Redis command may take before the cache is treated as unavailable for it.
OPERATION_TIMEOUT = 2.0
# Seconds a failing Redis is left alone before the next try.
COOL_DOWN = 5.0
# How often a process waiting for another's fill lock polls Redis for it.
LOCK_POLL = 0.02
_WINDOW_KEY = "ratelimit"
_FAILURE_SUFFIX = "#failed"


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored upstream answer: its status, its body as sent to clients, and when it was stored.

    ``stored_at`` is wall-clock time (``time.time()``) so that processes sharing a Redis agree
    on an entry's age.
    """

    status: int
    body: bytes
    stored_at: float


class LockTimeout(Exception):
    """Another process held the fill lock for longer than this request may wait."""


class ResponseCache:
    """Entries, the rate-limit window and the cross-process fill lock, over one aiocache."""

    def __init__(self, backend: Any, *, shared: bool, namespace: str) -> None:
        self._backend = backend
        self.shared = shared
        self._namespace = namespace
        # After a failure the shared backend is left alone until then (time.monotonic()).
        self._down_until = 0.0

    @classmethod
    def from_settings(cls, settings: CryptoSettings) -> ResponseCache:
        """The backend named by ``settings.cache``; it connects lazily (see :meth:`ping`)."""
        if not settings.is_shared_cache:
            # timeout=None: aiocache would otherwise wrap every in-memory get in wait_for.
            backend = Cache(Cache.MEMORY, timeout=None)
            return cls(backend, shared=False, namespace="")
        url = urlsplit(settings.cache)
        options: dict[str, Any] = {}
        if url.username:
            options["connection_pool_kwargs"] = {"username": unquote(url.username)}
        backend = Cache(
            Cache.REDIS,
            endpoint=url.hostname,
            port=url.port or 6379,
            db=int(url.path.strip("/") or 0),
            password=unquote(url.password) if url.password else None,
            ssl=url.scheme == "rediss",
            namespace=settings.cache_namespace,
            timeout=OPERATION_TIMEOUT,
            create_connection_timeout=OPERATION_TIMEOUT,
            serializer=_RedisSerializer(),
            **options,
        )
        return cls(backend, shared=True, namespace=settings.cache_namespace)

    @property
    def backend_name(self) -> str:
        return "redis" if self.shared else "memory"

    async def get(self, key: str) -> Entry | None:
        """The entry stored under ``key``, or None (also when the backend is failing)."""
        if not self.shared:
            # The hit path: aiocache's public get() wraps this dict lookup in three decorators,
            # an environment read and a debug log, twenty times its cost. _get is the backend
            # method every aiocache 0.12 backend implements; nothing can fail in it here.
            value = await self._backend._get(key, encoding=None)
            return value if isinstance(value, Entry) else None
        value = await self._shared_read(key, "read")
        return value if isinstance(value, Entry) else None

    async def set(self, key: str, entry: Entry, keep_for: float) -> None:
        """Store ``entry`` under ``key`` for ``keep_for`` seconds (freshness plus staleness)."""
        await self._write(key, entry, keep_for)

    async def window_until(self) -> float | None:
        """When the open rate-limit window closes (wall-clock), or None when none is open."""
        if self.shared:
            value = await self._shared_read(_WINDOW_KEY, "read the rate-limit window")
        else:
            value = await self._backend._get(_WINDOW_KEY, encoding=None)
        if isinstance(value, float) and value > time.time():
            return value
        return None

    async def open_window(self, seconds: float) -> float:
        """Record that no upstream call may be made for ``seconds``; returns the closing time."""
        until = time.time() + seconds
        await self._write(_WINDOW_KEY, until, seconds)
        return until

    async def get_failure(self, key: str) -> Entry | None:
        """The last failed fill of ``key`` (status 0 when the upstream gave none)."""
        return await self.get(key + _FAILURE_SUFFIX)

    async def set_failure(self, key: str, failure: Entry, keep_for: float) -> None:
        await self._write(key + _FAILURE_SUFFIX, failure, keep_for)

    @asynccontextmanager
    async def fill_lock(self, key: str, hold_for: float, wait_for: float) -> AsyncIterator[bool]:
        """Hold the cross-process lock for filling ``key``; yields whether another held it first.

        ``hold_for`` bounds how long a crashed holder can block others; a waiter gives up after
        ``wait_for`` seconds with :class:`LockTimeout`. The memory backend, and a Redis that is
        failing, yield False at once: the proxy already lets only one task per key in this
        process get here, so coalescing falls back to this process alone.
        """
        if not self.shared or self._is_down():
            yield False
            return
        lock = Lock(
            self._backend.client,
            f"{self._namespace}:lock:{key}",
            timeout=hold_for,
            sleep=LOCK_POLL,
            thread_local=False,
        )
        waited = False
        try:
            async with asyncio.timeout(OPERATION_TIMEOUT):
                held = await lock.acquire(blocking=False)
            if not held:
                waited = True
                async with asyncio.timeout(wait_for + OPERATION_TIMEOUT):
                    held = await lock.acquire(blocking=True, blocking_timeout=wait_for)
        except Exception as exc:
            self._failed("take the fill lock", exc)  # go on without it
            held = False
        else:
            if not held:
                raise LockTimeout(f"another gateway process held the lock for over {wait_for:g}s")
        try:
            yield waited
        finally:
            if held:
                try:
                    async with asyncio.timeout(OPERATION_TIMEOUT):
                        await lock.release()
                except Exception as exc:
                    # Expired (the fill outlived hold_for) or Redis is gone: it frees itself.
                    log.debug("could not release the fill lock of %s: %s", key, exc)

    async def ping(self) -> None:
        """Raise unless the backend answers (always asks, even while it is considered down)."""
        if self.shared:
            async with asyncio.timeout(OPERATION_TIMEOUT):
                await self._backend.client.ping()
            self._recovered()

    async def close(self) -> None:
        if self.shared:
            # aiocache 0.12's close() calls redis-py's deprecated Redis.close(), which warns;
            # aclose() is the same clean-up without the DeprecationWarning.
            await self._backend.client.aclose()
        else:
            await self._backend.clear()

    async def _shared_read(self, key: str, what: str) -> Any:
        if self._is_down():
            return None
        try:
            value = await self._backend.get(key)
        except Exception as exc:
            return self._failed(what, exc)
        self._recovered()
        return value

    async def _write(self, key: str, value: Entry | float, keep_for: float) -> None:
        if keep_for <= 0 or (self.shared and self._is_down()):
            return
        try:
            await self._backend.set(key, value, ttl=float(keep_for))
        except Exception as exc:
            self._failed("write", exc)
            return
        if self.shared:
            self._recovered()

    def _is_down(self) -> bool:
        return self._down_until > time.monotonic()

    def _failed(self, what: str, exc: Exception) -> None:
        if not self._down_until:
            log.warning(
                "the %s cache failed to %s (%s: %s); serving without it, retrying every %gs",
                self.backend_name,
                what,
                type(exc).__name__,
                exc,
                COOL_DOWN,
            )
        # Every request must not pay a timeout for a dead Redis: skip it for a while.
        self._down_until = time.monotonic() + COOL_DOWN

    def _recovered(self) -> None:
        if self._down_until:
            log.warning("the %s cache answers again", self.backend_name)
            self._down_until = 0.0


# A tag byte, then for an entry: status (uint16) and stored_at (float64), then the body.
_ENTRY_TAG = b"E"
_FLOAT_TAG = b"F"
_ENTRY_HEAD = struct.Struct("!Hd")


class _RedisSerializer(BaseSerializer):
    """Entries and window times as compact bytes: the body is never re-encoded."""

    DEFAULT_ENCODING = None

    def dumps(self, value: Entry | float) -> bytes:
        if isinstance(value, Entry):
            return _ENTRY_TAG + _ENTRY_HEAD.pack(value.status, value.stored_at) + value.body
        return _FLOAT_TAG + repr(float(value)).encode()

    def loads(self, value: bytes | None) -> Entry | float | None:
        if not value:
            return None
        tag, rest = value[:1], value[1:]
        try:
            if tag == _ENTRY_TAG:
                status, stored_at = _ENTRY_HEAD.unpack_from(rest)
                return Entry(status, rest[_ENTRY_HEAD.size :], stored_at)
            if tag == _FLOAT_TAG:
                return float(rest)
        except (struct.error, ValueError):
            pass
        return None  # written by something else: a miss, overwritten on the next fill
