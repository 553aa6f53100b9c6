"""Counting requests with `limits`: per caller and policy, with a storage that may fail.

A policy is one or more rates; a request is admitted when every rate has room, and then
counts against each. Rates are hit shortest window first and the first without room refuses:
the rates before it have counted the request (erring on the side of the limit), so a burst
refused by a per-second rate does not use up the per-minute or per-day quota behind it.

The storage is `limits`' memory storage (one process, counted synchronously: nothing to wait
for) or its async Redis storage (every process and host sharing it: the admitted total is
exact). When Redis does not answer within `storage_timeout`, the request goes through or is
refused as configured, and the storage is left alone for `storage_retry` seconds; the outage
is logged once.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple

from limits import RateLimitItem, parse_many
from limits import strategies as sync_strategies
from limits.aio import strategies as aio_strategies
from limits.storage import MemoryStorage, storage_from_string

from gateway.redact import redact
from gateway_plugins.ratelimit.settings import Counting, RateLimitSettings

log = logging.getLogger("gateway_plugins.ratelimit")

# The same algorithms twice: the async ones over Redis, the plain ones over memory.
STRATEGIES: dict[str, type[aio_strategies.RateLimiter]] = {
    "sliding-window": aio_strategies.SlidingWindowCounterRateLimiter,
    "moving-window": aio_strategies.MovingWindowRateLimiter,
    "fixed-window": aio_strategies.FixedWindowRateLimiter,
}
MEMORY_STRATEGIES: dict[str, type[sync_strategies.RateLimiter]] = {
    "sliding-window": sync_strategies.SlidingWindowCounterRateLimiter,
    "moving-window": sync_strategies.MovingWindowRateLimiter,
    "fixed-window": sync_strategies.FixedWindowRateLimiter,
}
# Seconds between two sweeps of expired counters out of memory.
SWEEP_EVERY = 1.0


@dataclass(frozen=True)
class Rate:
    label: str  # as the operator wrote it: "60/minute"
    item: RateLimitItem
    window: int  # seconds


@dataclass(frozen=True)
class CompiledPolicy:
    name: str  # the bucket: "default", or the scope it overrides
    rates: tuple[Rate, ...]  # as configured: the order of the RateLimit fields
    by: Counting
    # The RateLimit-Policy field, the same on every answer under this policy.
    policy_field: str
    hit_order: tuple[Rate, ...]  # the rates by window, shortest first (module docstring)
    single: Rate | None  # the rate of a one-rate policy (the usual one): its fast path

    @classmethod
    def of(cls, name: str, limits: list[str], by: Counting) -> CompiledPolicy:
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
        __slots__ = ("_expiry", "_keys")

        def __init__(self, amount: int, multiples: int | None = 1, namespace: str = "LIMITER"):
            super().__init__(amount, multiples, namespace)
            self._keys = lru_cache(maxsize=KEY_CACHE)(super().key_for)
            # Asked three times per request by the sliding window; fixed for the item.
            self._expiry = super().get_expiry()

        def key_for(self, *identifiers: bytes | str | int | float) -> str:
            return self._keys(*identifiers)

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


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage, its expired counters swept by :meth:`sweep` on the event loop.

    Its calls are dict operations, so they are made directly on the event loop; its async twin
    instead schedules an expiry task per event-loop turn, which cost a request several times
    the counting. And where limits starts a ``threading.Timer`` (a new thread) every 10 ms
    while counters exist, whose start and GIL hand-offs stall the event loop's thread, the
    ratelimit plugin calls :meth:`sweep` once a second. Expiry is only about memory: a read
    treats an expired counter as zero whether or not it was swept.
    """

    def _MemoryStorage__schedule_expiry(self) -> None:  # limits' timer, replaced by sweep()
        pass

    def sweep(self) -> None:
        """Drop expired counters (limits' own expiry pass)."""
        self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


# limits wraps every storage method in an error-translating decorator, once more for each
# class created below Storage (``Storage.__init_subclass__``): a request's count went through
# about a dozen such wrapper frames here, each catching ``base_exceptions`` (ValueError for
# memory) only to raise it again, since memory storage is created without wrap_exceptions.
# The methods themselves are limits' own, unwrapped (functools.wraps keeps ``__wrapped__``).
for _name in dir(SweptMemoryStorage):
    _method = getattr(SweptMemoryStorage, _name, None)
    if callable(_method) and hasattr(_method, "__wrapped__"):
        setattr(SweptMemoryStorage, _name, inspect.unwrap(_method))


def open_storage(settings: RateLimitSettings) -> Any:
    """limits' memory storage (:class:`SweptMemoryStorage`), or its async Redis storage."""
    if settings.storage.startswith("memory"):
        return SweptMemoryStorage()
    options: dict[str, Any] = {
        "implementation": "redispy",
        "wrap_exceptions": True,
        "key_prefix": settings.key_prefix,
        "socket_timeout": settings.storage_timeout,
        "socket_connect_timeout": settings.storage_timeout,
    }
    return storage_from_string(f"async+{settings.storage}", **options)


class RequestCounter:
    def __init__(self, settings: RateLimitSettings, storage: Any) -> None:
        self.storage = storage
        # Memory cannot hang or fail: counted synchronously, without a timer per request.
        self.memory: sync_strategies.RateLimiter | None = None
        self.strategy: aio_strategies.RateLimiter | None = None
        if isinstance(storage, MemoryStorage):
            self.memory = MEMORY_STRATEGIES[settings.strategy](storage)
        else:
            self.strategy = STRATEGIES[settings.strategy](storage)
        self.timeout = settings.storage_timeout
        self.retry = settings.storage_retry
        self.where = redact(settings.storage)
        self.down_until = 0.0
        self.down_since: float | None = None
        self.last_error = ""

    @property
    def healthy(self) -> bool:
        return self.down_since is None

    def count_one_in_memory(self, policy: CompiledPolicy, caller: str) -> tuple[bool, int, int]:
        """:meth:`count_in_memory` for a one-rate policy (``policy.single``), the usual one:
        whether the request is admitted, the requests left and the seconds until the window
        has room again, without the verdict's objects."""
        memory, rate = self.memory, policy.single
        assert memory is not None and rate is not None
        admitted = memory.hit(rate.item, policy.name, caller)
        stats = memory.get_window_stats(rate.item, policy.name, caller)
        return admitted, stats.remaining, max(0, math.ceil(stats.reset_time - time.time()))

    def count_in_memory(self, policy: CompiledPolicy, caller: str) -> Verdict:
        """:meth:`count` on memory storage, which has nothing to wait for: called without a
        coroutine by the middleware (``self.memory`` is set)."""
        memory = self.memory
        assert memory is not None
        if policy.single is not None:
            admitted, remaining, reset = self.count_one_in_memory(policy, caller)
            return Verdict(admitted, (Window(policy.single, remaining, reset),))
        admitted = all(memory.hit(rate.item, policy.name, caller) for rate in policy.hit_order)
        stats = [memory.get_window_stats(r.item, policy.name, caller) for r in policy.rates]
        return _verdict(policy, admitted, stats)

    async def count(self, policy: CompiledPolicy, caller: str) -> Verdict:
        """Admit (and count) one request of ``caller`` under ``policy``, or refuse it."""
        if self.memory is not None:
            return self.count_in_memory(policy, caller)
        if self.down_since is not None and time.monotonic() < self.down_until:
            return Verdict(False, storage_down=True)
        try:
            async with asyncio.timeout(self.timeout * 2):
                verdict = await self._count(policy, caller)
        except Exception as exc:  # StorageError, a timeout: any failure of the store
            self._failed(exc)
            return Verdict(False, storage_down=True)
        if self.down_since is not None:
            log.warning(
                "rate-limit storage %s answers again after %.1f s; counting resumes",
                self.where,
                time.monotonic() - self.down_since,
            )
            self.down_since = None
        return verdict

    async def _count(self, policy: CompiledPolicy, caller: str) -> Verdict:
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


def _verdict(policy: CompiledPolicy, admitted: bool, stats: Sequence[Any]) -> Verdict:
    now = time.time()
    return Verdict(
        admitted,
        tuple(_window(rate, s, now) for rate, s in zip(policy.rates, stats, strict=True)),
    )


def _window(rate: Rate, stats: Any, now: float) -> Window:
    return Window(rate, stats.remaining, max(0, math.ceil(stats.reset_time - now)))
