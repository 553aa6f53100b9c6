"""The one adapter over the cache backends: response entries, the rate-limit window, the fill lock.

Nothing else in the plugin imports aiocache or redis. Two backends:

- ``memory://``: the plugin's own :class:`~gateway_plugins.crypto.memory.MemoryStore` holding
  :class:`Entry` objects as they are (no serialisation), private to one process. Coalescing
  is done by the proxy in-process, so :meth:`ResponseCache.fill_lock` does nothing here.
- ``redis://``: aiocache's ``RedisCache`` with a compact binary encoding of entries, shared by
  every gateway process using the same Redis and namespace. :meth:`ResponseCache.fill_lock` is
  redis-py's ``redis.asyncio.lock.Lock`` (SET NX PX with a token, released by a Lua script),
  so only one process at a time calls the upstream for a key.

When the Redis backend fails (at start-up or at run time) the process falls back to its own
memory for entries and for the rate-limit window, and coalesces in-process only: the quota stays
protected, with one warning in the log per outage, ``Cache-Status`` naming the cache that
answered (``gateway-memory`` instead of ``gateway``) and a ``warn`` from ``crypto:cache``,
never a 500. A background task pings Redis every :data:`RETRY_EVERY` seconds meanwhile (no
request pays for a dead Redis) and the process returns to it as soon as it answers.
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

from gateway_plugins.crypto.memory import MemoryStore
from gateway_plugins.crypto.settings import CryptoSettings

log = logging.getLogger("gateway_plugins.crypto.cache")

# Seconds one Redis command may take before the cache is treated as unavailable for it.
OPERATION_TIMEOUT = 2.0
# Seconds between pings of a Redis that failed, while this process serves from its memory.
RETRY_EVERY = 1.0
# The Cache-Status cache names: the configured cache, and this process's memory standing in for
# a shared cache that does not answer (RFC 9211: a distinct cache has a distinct name).
LABEL = "gateway"
FALLBACK_LABEL = "gateway-memory"
_HIT, _FALLBACK_HIT = f"{LABEL}; hit", f"{FALLBACK_LABEL}; hit"
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
        # The process's own memory (gateway_plugins/crypto/memory.py): the whole cache for
        # memory://, the stand-in for a shared cache while it is down, and always the
        # rate-limit window seen by this process. Read directly by CryptoProxy.hit.
        self.local = backend if isinstance(backend, MemoryStore) else MemoryStore()
        # While the shared backend is down: the task that pings it until it answers.
        self._outage: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: CryptoSettings) -> ResponseCache:
        """The backend named by ``settings.cache``; it connects lazily (see :meth:`ping`)."""
        if not settings.is_shared_cache:
            return cls(MemoryStore(), shared=False, namespace="")
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

    @property
    def down(self) -> bool:
        """Whether the shared backend failed and this process serves from its own memory."""
        return self._outage is not None

    @property
    def label(self) -> str:
        """The cache's name in ``Cache-Status`` right now: who answers, and who stores."""
        return FALLBACK_LABEL if self._outage is not None else LABEL

    @property
    def hit_label(self) -> str:
        """``Cache-Status`` of a hit right now (made once, not per hit)."""
        return _FALLBACK_HIT if self._outage is not None else _HIT

    async def get(self, key: str) -> Entry | None:
        """The entry stored under ``key``, or None; from memory while the shared cache is down."""
        if self.shared and self._outage is None:
            value = await self._shared_read(key, "read")
        else:
            value = await self.local.get(key)
        return value if isinstance(value, Entry) else None

    async def set(self, key: str, entry: Entry, keep_for: float) -> bool:
        """Store ``entry`` under ``key`` for ``keep_for`` seconds (freshness plus staleness).

        Returns whether it was stored (only a ``keep_for`` of 0 stores nothing); read
        :attr:`label` afterwards to say where.
        """
        return await self._write(key, entry, keep_for)

    async def window_until(self) -> float | None:
        """When the open rate-limit window closes (wall-clock), or None when none is open."""
        # This process's own record first: it holds the window through a Redis outage, and a
        # dict lookup is cheaper than a round trip.
        value = await self.local.get(_WINDOW_KEY)
        local_open = isinstance(value, float) and value > time.time()
        if self.shared and self._outage is None and not local_open:
            value = await self._shared_read(_WINDOW_KEY, "read the rate-limit window")
        if isinstance(value, float) and value > time.time():
            return value
        return None

    async def open_window(self, seconds: float) -> float:
        """Record that no upstream call may be made for ``seconds``; returns the closing time."""
        until = time.time() + seconds
        if self.shared:
            await self.local.set(_WINDOW_KEY, until, ttl=float(seconds))
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
        if not self.shared or self._outage is not None:
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

    async def start(self) -> None:
        """Ping the shared backend at start-up; one that does not answer starts an outage.

        A process must start (and serve from memory) while Redis is down: a replacement worker
        that refused to boot would take the healthy ones down with it.
        """
        if self.shared:
            try:
                await self.ping()
            except Exception as exc:
                self._failed("answer at start-up", exc)

    async def close(self) -> None:
        if self._outage is not None:
            self._outage.cancel()
            await asyncio.gather(self._outage, return_exceptions=True)
            self._outage = None
        if self.shared:
            # aiocache 0.12's close() calls redis-py's deprecated Redis.close(), which warns;
            # aclose() is the same clean-up without the DeprecationWarning.
            await self._backend.client.aclose()
            await self.local.clear()
        else:
            await self._backend.clear()

    async def _shared_read(self, key: str, what: str) -> Any:
        try:
            return await self._backend.get(key)
        except Exception as exc:
            self._failed(what, exc)
            return await self.local.get(key)

    async def _write(self, key: str, value: Entry | float, keep_for: float) -> bool:
        if keep_for <= 0:
            return False
        if self.shared and self._outage is None:
            try:
                await self._backend.set(key, value, ttl=float(keep_for))
                return True
            except Exception as exc:
                self._failed("write", exc)
        await self.local.set(key, value, ttl=float(keep_for))
        return True

    def _failed(self, what: str, exc: Exception) -> None:
        if self._outage is not None:
            return  # said once per outage
        log.warning(
            "the %s cache failed to %s (%s: %s); serving from this process's memory "
            "(entries, coalescing, rate-limit window) and retrying every %gs",
            self.backend_name,
            what,
            type(exc).__name__,
            exc,
            RETRY_EVERY,
        )
        self._outage = asyncio.get_running_loop().create_task(
            self._retry_until_back(), name="crypto cache outage"
        )

    async def _retry_until_back(self) -> None:
        while True:
            await asyncio.sleep(RETRY_EVERY)
            try:
                async with asyncio.timeout(OPERATION_TIMEOUT):
                    await self._backend.client.ping()
            except Exception as exc:
                log.debug("the %s cache still does not answer: %s", self.backend_name, exc)
                continue
            self._recovered()
            return

    def _recovered(self) -> None:
        if self._outage is not None:
            outage, self._outage = self._outage, None
            if outage is not asyncio.current_task():
                outage.cancel()
            log.warning(
                "the %s cache answers again: shared entries, lock and window resume",
                self.backend_name,
            )


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
