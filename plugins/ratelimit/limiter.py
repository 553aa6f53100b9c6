"""Counting requests per caller and policy, in memory or on Redis (which may fail).

A policy is one or more rates; a request is admitted when every rate has room, and then
counts against each. Rates are hit shortest window first and the first without room refuses:
the rates before it have counted the request (erring on the side of the limit), so a burst
refused by a per-second rate does not use up the per-minute or per-day quota behind it.

The storage is the gateway's own memory counters (one process, counted synchronously: nothing
to wait for; `gateway.MemoryCounts`, the answers of limits' strategies on its memory storage)
or limits' async Redis storage (every process and host sharing it: the admitted total is
exact). When Redis does not answer within `storage_timeout`, the request goes through or is
refused as configured, and the storage is left alone for `storage_retry` seconds; the outage
is logged once. A burst with more requests than Redis connections is no outage: the requests
beyond them wait their turn (at most :data:`QUEUE_WAIT` seconds, then 503).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from limits import RateLimitItem, parse_many
from limits.aio import strategies as aio_strategies
from limits.storage import storage_from_string

from gateway import (
    MemoryCounts,
    ProblemError,
    redact,
)
from gateway_plugins.ratelimit.settings import Counting, RateLimitSettings

log = logging.getLogger("gateway_plugins.ratelimit")

# limits' algorithms over Redis; in memory, the gateway's own twins of them (MemoryCounts).
STRATEGIES: dict[str, type[aio_strategies.RateLimiter]] = {
    "sliding-window": aio_strategies.SlidingWindowCounterRateLimiter,
    "moving-window": aio_strategies.MovingWindowRateLimiter,
    "fixed-window": aio_strategies.FixedWindowRateLimiter,
}
# Redis connections per process (redis-py's own default pool size, made explicit), and the
# longest a request waits for one while all are busy: a burst queues rather than finding the
# pool empty, which redis-py reports as an error like any outage's.
CONNECTIONS = 100
QUEUE_WAIT = 5.0
# What a Redis URL without a port means (redis-py's default; limits wants it written).
DEFAULT_PORT = 6379


@dataclass(frozen=True)
class Rate:
    label: str  # as the operator wrote it: "60/minute"
    item: RateLimitItem
    window: int  # seconds

    @cached_property  # made once per rate, then a plain attribute on the hot path
    def field_start(self) -> str:
        """The constant start of this rate's item of the ``RateLimit`` field, up to its
        remaining count: ``"60/minute";r=``."""
        return f'"{self.label}";r='


@dataclass(frozen=True)
class CompiledRates:
    name: str  # the bucket: "default", or the scope it overrides
    rates: tuple[Rate, ...]  # as configured: the order of the RateLimit fields
    by: Counting
    # The RateLimit-Policy field, the same on every answer under this policy.
    policy_field: str
    hit_order: tuple[Rate, ...]  # the rates by window, shortest first (module docstring)
    single: Rate | None  # the rate of a one-rate policy (the usual one): its fast path

    @classmethod
    def of(cls, name: str, limits: list[str], by: Counting) -> CompiledRates:
        rates = []
        for text in limits:
            items = parse_many(text)
            for item in items:
                label = text.strip() if len(items) == 1 else str(item)
                rates.append(Rate(label, _with_cached_keys(item), item.get_expiry()))
        field = ", ".join(f'"{r.label}";q={r.item.amount};w={r.window}' for r in rates)
        by_window = tuple(sorted(rates, key=lambda rate: rate.window))  # stable: ties as given
        return cls(name, tuple(rates), by, field, by_window, rates[0] if len(rates) == 1 else None)


# Storage keys remembered per rate: callers seen recently, each key a few dozen characters.
KEY_CACHE = 4096


def _with_cached_keys(item: RateLimitItem) -> RateLimitItem:
    """``item`` with its storage key for a caller built once, not on every request (and its
    window's length computed once).

    limits' strategies call ``item.key_for(policy, caller)`` twice per request (to count, and
    for the window's remaining count), and each call joins five parts that are each checked by
    ``safe_string``: about a fifth of the counting. The key is a pure function of the item and
    the identifiers, so an LRU cache of ``key_for`` gives the very keys limits makes (Redis keys
    shared with other processes are unchanged).
    """
    return _cached_keys_class(type(item))(item.amount, item.multiples, item.namespace)


@cache  # one subclass per granularity (second, minute, ...)
def _cached_keys_class(granularity: type[RateLimitItem]) -> type[RateLimitItem]:
    # Without GRANULARITY in its own namespace, limits' metaclass does not register the
    # subclass in place of the granularity that parse() looks up.
    class CachedKeys(granularity):  # type: ignore[valid-type,misc]
        # key_for is a slot holding the cache itself, not a method calling it: a request's key
        # is then a C call, without a Python frame around it.
        __slots__ = ("_expiry", "key_for")

        def __init__(self, amount: int, multiples: int | None = 1, namespace: str = "LIMITER"):
            super().__init__(amount, multiples, namespace)
            self.key_for = lru_cache(maxsize=KEY_CACHE)(super().key_for)
            # Asked three times per request by the sliding window; fixed for the item.
            self._expiry = super().get_expiry()

        def get_expiry(self) -> int:
            return self._expiry

    CachedKeys.__name__ = CachedKeys.__qualname__ = granularity.__name__
    return CachedKeys


class Window(NamedTuple):  # tuples: made on every request, so cheap to make
    rate: Rate
    remaining: int
    reset: int  # seconds until the window has room again


class Verdict(NamedTuple):
    admitted: bool
    windows: tuple[Window, ...] = ()
    storage_down: bool = False

    @property
    def exhausted(self) -> Window | None:
        """The window without room that has room again last: a request waits for all."""
        full = [w for w in self.windows if w.remaining <= 0]
        return max(full, key=lambda w: w.reset) if full else None


class StorageDown(Exception):
    """The storage failed or timed out; the caller decides to admit or refuse."""


def open_storage(settings: RateLimitSettings) -> Any:
    """The plugin's own memory counters (:class:`MemoryCounts`), or limits' async Redis
    storage."""
    if settings.storage.startswith("memory"):
        return MemoryCounts(settings.strategy)
    options: dict[str, Any] = {
        "implementation": "redispy",
        "wrap_exceptions": True,
        "key_prefix": settings.key_prefix,
        "socket_timeout": settings.storage_timeout,
        "socket_connect_timeout": settings.storage_timeout,
        "max_connections": CONNECTIONS,
    }
    return storage_from_string(f"async+{with_port(settings.storage)}", **options)


def with_port(url: str) -> str:
    """``url`` with Redis's port written out. limits refuses a Redis URL without one ("Missing
    host or port"), which redis-py, like every Redis client, reads as port 6379."""
    parts = urlsplit(url)
    if parts.scheme == "redis+unix" or parts.port is not None:
        return url
    return urlunsplit(
        (parts.scheme, f"{parts.netloc}:{DEFAULT_PORT}", parts.path, parts.query, parts.fragment)
    )


# One count's answer: admitted, remaining, seconds to reset.
CountAnswer = tuple[bool, int, int]
# One count on memory: (rate, policy name, caller) -> its answer.
CountOne = Callable[[Rate, str, str], CountAnswer]


class RequestCounter:
    def __init__(self, settings: RateLimitSettings, storage: Any) -> None:
        self.storage = storage
        # Memory cannot hang or fail: counted synchronously, without a coroutine per count.
        self.memory: MemoryCounts | None = None
        self.strategy: aio_strategies.RateLimiter | None = None
        # The memory count of one rate, read by the middleware; None on Redis.
        self.count_rate: CountOne | None = None
        if isinstance(storage, MemoryCounts):
            self.memory = storage
            self.count_rate = self._count_in_memory
        else:
            self.strategy = STRATEGIES[settings.strategy](storage)
        # One count at a time per Redis connection: the others wait here (RequestCounter.count).
        self.connections = asyncio.Semaphore(CONNECTIONS)
        self.timeout = settings.storage_timeout
        self.retry = settings.storage_retry
        self.where = redact(settings.storage)
        self.down_until = 0.0
        self.down_since: float | None = None
        self.last_error = ""

    @property
    def healthy(self) -> bool:
        return self.down_since is None

    def _count_in_memory(self, rate: Rate, name: str, caller: str) -> tuple[bool, int, int]:
        """One rate's count in memory: admitted, remaining, seconds until the window frees."""
        item = rate.item
        memory = self.memory
        assert memory is not None
        table = memory.tables.get(rate.window) or memory.table(rate.window)
        return table.count(item.key_for(name, caller), item.amount, time.time())

    def one_rate_parts(self, rate: Rate) -> tuple[Callable[[str, int, float], CountAnswer], int]:
        """:meth:`_count_in_memory` of one rate, in parts for a caller that makes its own
        storage keys (``rate.item.key_for(policy name, caller)``): the count of ``rate``'s
        table, called as ``count(key, amount, time.time())``, and the amount."""
        memory = self.memory
        assert memory is not None
        return memory.table(rate.window).count, rate.item.amount

    def count_in_memory(self, policy: CompiledRates, caller: str) -> Verdict:
        """:meth:`count` on memory storage, which has nothing to wait for: called without a
        coroutine by the middleware (``self.memory`` is set)."""
        memory, count_rate = self.memory, self.count_rate
        assert memory is not None and count_rate is not None
        if policy.single is not None:
            admitted, remaining, reset = count_rate(policy.single, policy.name, caller)
            return Verdict(admitted, (Window(policy.single, remaining, reset),))
        # Shortest window first; the first without room refuses, and the windows behind it
        # are only read (module docstring). One moment for all of them.
        now = time.time()
        counted: dict[int, tuple[int, int]] = {}
        admitted = True
        for rate in policy.hit_order:
            key = rate.item.key_for(policy.name, caller)
            admitted, remaining, reset = memory.table(rate.window).count(key, rate.item.amount, now)
            counted[id(rate)] = (remaining, reset)
            if not admitted:
                break
        windows = []
        for rate in policy.rates:
            figures = counted.get(id(rate))
            if figures is None:
                key = rate.item.key_for(policy.name, caller)
                figures = memory.table(rate.window).stats(key, rate.item.amount, now)
            windows.append(Window(rate, *figures))
        return Verdict(admitted, tuple(windows))

    async def count(self, policy: CompiledRates, caller: str) -> Verdict:
        """Admit (and count) one request of ``caller`` under ``policy``, or refuse it."""
        if self.memory is not None:
            return self.count_in_memory(policy, caller)
        if self.down_since is not None and time.monotonic() < self.down_until:
            return Verdict(False, storage_down=True)
        try:
            async with asyncio.timeout(QUEUE_WAIT):
                await self.connections.acquire()
        except TimeoutError:
            # Redis answers, only not this fast: shed this request, count no outage.
            raise ProblemError(
                503,
                f"The rate-limit store is busy: this request waited {QUEUE_WAIT:g} s for it. "
                "Retry in a second.",
                headers={"Retry-After": "1"},
            ) from None
        try:
            async with asyncio.timeout(self.timeout * 2):
                verdict = await self._count(policy, caller)
        except Exception as exc:  # StorageError, a timeout: any failure of the store
            self._failed(exc)
            return Verdict(False, storage_down=True)
        finally:
            self.connections.release()
        self._answered()
        return verdict

    async def probe(self) -> bool:
        """Whether the storage answers now (a PING on Redis), for /health and `gateway check
        --connect`: an outage shows there before a request meets it.

        Bounded like a count; a storage already known down is not asked again before
        ``storage_retry`` is over, and a pool busy with counts answers, so it is no outage.
        """
        if self.memory is not None:
            return True
        if self.down_since is not None and time.monotonic() < self.down_until:
            return False
        if self.connections.locked():
            return self.healthy
        async with self.connections:
            try:
                async with asyncio.timeout(self.timeout * 2):
                    answered = await self.storage.check()
                if not answered:
                    raise StorageDown("no answer to PING")
            except Exception as exc:  # StorageDown, a timeout: any failure of the store
                self._failed(exc)
                return False
        self._answered()
        return True

    def _answered(self) -> None:
        if self.down_since is not None:
            log.warning(
                "rate-limit storage %s answers again after %.1f s; counting resumes",
                self.where,
                time.monotonic() - self.down_since,
            )
            self.down_since = None

    async def _count(self, policy: CompiledRates, caller: str) -> Verdict:
        # Shortest window first; the first without room refuses (module docstring).
        assert self.strategy is not None
        admitted = True
        for rate in policy.hit_order:
            if not await self.strategy.hit(rate.item, policy.name, caller):
                admitted = False
                break
        stats = [
            await self.strategy.get_window_stats(rate.item, policy.name, caller)
            for rate in policy.rates
        ]
        return _verdict(policy, admitted, stats)

    def _failed(self, exc: BaseException) -> None:
        self.down_until = time.monotonic() + self.retry
        self.last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if self.down_since is None:
            self.down_since = time.monotonic()
            # One line per outage, not one per request; no traceback: an outage is expected.
            log.warning(
                "rate-limit storage %s does not answer (%s); trying again every %.0f s",
                self.where,
                self.last_error,
                self.retry,
            )


def _verdict(policy: CompiledRates, admitted: bool, stats: Sequence[Any]) -> Verdict:
    now = time.time()
    return Verdict(
        admitted,
        tuple(_window(rate, s, now) for rate, s in zip(policy.rates, stats, strict=True)),
    )


def _window(rate: Rate, stats: Any, now: float) -> Window:
    return Window(rate, stats.remaining, _seconds_until(stats.reset_time, now))


def _seconds_until(moment: float, now: float) -> int:
    """Whole seconds from ``now`` until ``moment`` (a window's reset), never negative."""
    return max(0, math.ceil(moment - now))
