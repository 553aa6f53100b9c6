"""Where a gateway cache keeps its entries: this process's memory, or Redis shared by all.

Both stores hold :class:`~gateway.cache_entry.StoredResponse`,
:class:`~gateway.cache_entry.VaryMarker` and :class:`~gateway.cache_entry.OriginFailure`
values for a time to live, and purge one key (with its variants) or every key under a prefix.

- :class:`MemoryCacheStore` holds the values as they are (no serialisation), bounded in bytes:
  past ``max_bytes`` the least recently used go first. A read is a dict lookup
  (:meth:`MemoryCacheStore.peek`), no coroutine.
- :class:`RedisCacheStore` goes through aiocache's public ``Cache(Cache.REDIS)`` with the
  compact bytes of :func:`~gateway.cache_entry.encode_entry`, and gives the cross-process fill
  lock (redis-py's ``redis.asyncio.lock.Lock``: ``SET NX PX`` with a token, released by a
  Lua script). When Redis fails it serves from a memory store of its own for a while,
  coalescing in-process only, says so once per outage in the log, pings Redis every
  :data:`RETRY_EVERY` seconds in the background (no request pays for a dead Redis) and returns
  to it when it answers (or when :meth:`RedisCacheStore.ping` finds it back): a cache outage
  is never a 500.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from aiocache import Cache
from aiocache.serializers import BaseSerializer
from redis.asyncio.lock import Lock

from gateway.cache_entry import (
    OriginFailure,
    StoredResponse,
    VaryMarker,
    decode_entry,
    encode_entry,
)

log = logging.getLogger("gateway.cache")

Stored = StoredResponse | VaryMarker | OriginFailure
STORED_TYPES = (StoredResponse, VaryMarker, OriginFailure)
# Seconds one Redis command may take before the store is treated as down for it.
OPERATION_TIMEOUT = 2.0
# Seconds between pings of a Redis that failed.
RETRY_EVERY = 1.0
# How often a process waiting for another's fill lock polls Redis for it.
LOCK_POLL = 0.02
VARIANT_SEPARATOR = "#vary:"


class CacheStore(Protocol):
    """What the HTTP cache needs of a store (memory, Redis, or one a plugin brings)."""

    #: ``memory`` or ``redis``: named in ``/health`` and the docs.
    kind: str

    @property
    def label_suffix(self) -> str:
        """Appended to the cache's name in ``Cache-Status`` while the store stands in for
        another (``-memory`` while Redis is down), else ``""``."""

    @property
    def stored_bytes(self) -> int | None:
        """Bytes held, when the store knows (memory)."""

    @property
    def healthy(self) -> bool: ...

    def peek(self, key: str) -> Stored | None:
        """A value without waiting, when the store can (memory); else ``None``."""

    async def get(self, key: str) -> Stored | None: ...

    async def set(self, key: str, value: Stored, keep_for: float) -> bool: ...

    async def delete(self, key: str) -> None:
        """Drop ``key`` alone (cheap: no search)."""

    async def purge(self, key: str | None = None, prefix: str | None = None) -> int:
        """Drop ``key`` and its variants, or every key starting with ``prefix`` (searches)."""

    def lock(self, key: str, hold_for: float) -> Lock | None:
        """The cross-process fill lock of ``key``, or ``None`` (one process only)."""

    async def ping(self) -> None:
        """Raise unless the store answers now (a health check's question)."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class MemoryCacheStore:
    """Values by key, each for its time to live, at most ``max_bytes`` in all (LRU)."""

    kind = "memory"
    label_suffix = ""
    healthy = True

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self._clock = clock
        # key -> (value, size, until); the order is the use order, least recent first.
        self._items: OrderedDict[str, tuple[Stored, int, float]] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def stored_bytes(self) -> int:
        return self._bytes

    def peek(self, key: str) -> Stored | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[2] <= self._clock():
            self._drop(key)
            return None
        self._items.move_to_end(key)
        return item[0]

    async def get(self, key: str) -> Stored | None:
        return self.peek(key)

    def put(self, key: str, value: Stored, keep_for: float) -> bool:
        size = 64 + len(key) if isinstance(value, VaryMarker) else value.size
        size += len(key)
        if keep_for <= 0 or size > self.max_bytes:
            self._drop(key)
            return False
        self._drop(key)
        self._items[key] = (value, size, self._clock() + keep_for)
        self._bytes += size
        if self._bytes > self.max_bytes:
            now = self._clock()
            # Expired ones first (free), then the least recently used.
            for old in [k for k, (_, _, until) in self._items.items() if until <= now]:
                self._drop(old)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._items)))
        return True

    async def set(self, key: str, value: Stored, keep_for: float) -> bool:
        return self.put(key, value, keep_for)

    async def delete(self, key: str) -> None:
        self._drop(key)

    async def purge(self, key: str | None = None, prefix: str | None = None) -> int:
        if key is not None:
            matches = [k for k in self._items if k == key or k.startswith(key + VARIANT_SEPARATOR)]
        else:
            matches = [k for k in self._items if k.startswith(prefix or "")]
        for name in matches:
            self._drop(name)
        return len(matches)

    def lock(self, key: str, hold_for: float) -> Lock | None:
        return None

    async def ping(self) -> None:
        return None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Drop every value."""
        self._items.clear()
        self._bytes = 0

    def _drop(self, key: str) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self._bytes -= item[1]


class EntrySerializer(BaseSerializer):  # type: ignore[misc]
    """aiocache's serializer for entries: :func:`encode_entry` bytes, bodies never re-encoded."""

    DEFAULT_ENCODING = None

    def dumps(self, value: Stored) -> bytes:
        return encode_entry(value)

    def loads(self, value: bytes | None) -> Stored | None:
        return decode_entry(value)


class RedisCacheStore:
    """Entries in Redis under ``namespace:``, through aiocache; memory while Redis is down."""

    kind = "redis"

    def __init__(self, url: str, namespace: str, fallback_bytes: int) -> None:
        parts = urlsplit(url)
        options: dict[str, Any] = {}
        if parts.username:
            options["connection_pool_kwargs"] = {"username": unquote(parts.username)}
        self.namespace = namespace
        self.backend = Cache(
            Cache.REDIS,
            endpoint=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            db=int(parts.path.strip("/") or 0),
            password=unquote(parts.password) if parts.password else None,
            ssl=parts.scheme == "rediss",
            namespace=namespace,
            timeout=OPERATION_TIMEOUT,
            create_connection_timeout=OPERATION_TIMEOUT,
            serializer=EntrySerializer(),
            **options,
        )
        self.local = MemoryCacheStore(fallback_bytes)
        self._outage: asyncio.Task[None] | None = None

    @property
    def client(self) -> Any:
        """redis-py's client under aiocache (for the lock, SCAN and PING)."""
        return self.backend.client

    @property
    def healthy(self) -> bool:
        return self._outage is None

    @property
    def label_suffix(self) -> str:
        return "" if self._outage is None else "-memory"

    @property
    def stored_bytes(self) -> int | None:
        return None

    def peek(self, key: str) -> Stored | None:
        return self.local.peek(key) if self._outage is not None else None

    async def get(self, key: str) -> Stored | None:
        if self._outage is not None:
            return self.local.peek(key)
        try:
            value = await self.backend.get(key)
        except Exception as exc:
            self._failed("read", exc)
            return self.local.peek(key)
        return value if isinstance(value, STORED_TYPES) else None

    async def set(self, key: str, value: Stored, keep_for: float) -> bool:
        if keep_for <= 0:
            return False
        if self._outage is None:
            try:
                # Whole milliseconds at least: Redis refuses an expiry of 0.
                await self.backend.set(key, value, ttl=max(0.001, round(keep_for, 3)))
                return True
            except Exception as exc:
                self._failed("write", exc)
        return self.local.put(key, value, keep_for)

    async def delete(self, key: str) -> None:
        await self.local.delete(key)
        if self._outage is None:
            try:
                await self.backend.delete(key)
            except Exception as exc:
                self._failed("delete", exc)

    async def purge(self, key: str | None = None, prefix: str | None = None) -> int:
        purged = await self.local.purge(key, prefix)
        base = f"{self.namespace}:"
        if key is not None:
            patterns = [
                _glob_escape(base + key),
                _glob_escape(base + key + VARIANT_SEPARATOR) + "*",
            ]
        else:
            patterns = [_glob_escape(base + (prefix or "")) + "*"]
        async with asyncio.timeout(30):
            for pattern in patterns:
                names = [name async for name in self.client.scan_iter(match=pattern, count=500)]
                for start in range(0, len(names), 500):
                    purged += int(await self.client.delete(*names[start : start + 500]))
        return purged

    def lock(self, key: str, hold_for: float) -> Lock | None:
        if self._outage is not None:
            return None
        return Lock(
            self.client,
            f"{self.namespace}:lock:{key}",
            timeout=hold_for,
            sleep=LOCK_POLL,
            thread_local=False,
        )

    async def ping(self) -> None:
        """Raise unless Redis answers now; an answer ends an outage at once."""
        async with asyncio.timeout(OPERATION_TIMEOUT):
            await self.client.ping()
        self._recovered()

    async def start(self) -> None:
        """Ping Redis; one that does not answer starts an outage (the process still serves)."""
        try:
            async with asyncio.timeout(OPERATION_TIMEOUT):
                await self.client.ping()
        except Exception as exc:
            self._failed("answer at start-up", exc)

    async def close(self) -> None:
        if self._outage is not None:
            self._outage.cancel()
            await asyncio.gather(self._outage, return_exceptions=True)
            self._outage = None
        # aiocache 0.12's close() calls redis-py's deprecated close(); aclose() does not warn.
        await self.client.aclose()
        await self.local.close()

    def store_failed(self, what: str, exc: Exception) -> None:
        """Start an outage (a lock that could not be taken, say): said once in the log."""
        self._failed(what, exc)

    def _failed(self, what: str, exc: Exception) -> None:
        if self._outage is not None:
            return
        log.warning(
            "the Redis cache failed to %s (%s: %s); serving from this process's memory and "
            "retrying every %gs (namespace %r)",
            what,
            type(exc).__name__,
            exc,
            RETRY_EVERY,
            self.namespace,
        )
        self._outage = asyncio.get_running_loop().create_task(
            self._retry_until_back(), name=f"cache {self.namespace} outage"
        )

    async def _retry_until_back(self) -> None:
        while True:
            await asyncio.sleep(RETRY_EVERY)
            try:
                async with asyncio.timeout(OPERATION_TIMEOUT):
                    await self.client.ping()
            except Exception as exc:
                log.debug("the Redis cache %r still does not answer: %s", self.namespace, exc)
                continue
            self._recovered()
            return

    def _recovered(self) -> None:
        if self._outage is None:
            return
        outage, self._outage = self._outage, None
        if outage is not asyncio.current_task():
            outage.cancel()
        # What this process stored meanwhile may be older than Redis's: drop it.
        self.local.clear()
        log.warning("the Redis cache answers again (namespace %r)", self.namespace)


def _glob_escape(text: str) -> str:
    """``text`` matched literally by Redis's glob-style ``MATCH``."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def open_cache_store(
    url: str, namespace: str, max_bytes: int
) -> MemoryCacheStore | RedisCacheStore:
    """The store ``url`` names: ``memory://`` or ``redis://host:port/db`` (``rediss://``).

    ``max_bytes`` bounds the memory store (and a Redis store's stand-in during outages).
    Nothing connects here: :meth:`start` does, in the application's start-up.
    """
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryCacheStore(max_bytes)
    if scheme in ("redis", "rediss"):
        return RedisCacheStore(url, namespace, max_bytes)
    raise ValueError(f"{url!r}: use memory:// or redis://host:6379/0")
