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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from math import ceil, floor, inf
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

    @cached_property  # made once per rate, then a plain attribute on the hot path
    def field_start(self) -> str:
        """The constant start of this rate's item of the ``RateLimit`` field, up to its
        remaining count: ``"60/minute";r=``."""
        return f'"{self.label}";r='


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


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage, its expired counters swept by :meth:`sweep` on the event loop.

    Its calls are dict operations, so they are made directly on the event loop; its async twin
    instead schedules an expiry task per event-loop turn, which cost a request several times
    the counting. And where limits starts a ``threading.Timer`` (a new thread) every 10 ms
    while counters exist, whose start and GIL hand-offs stall the event loop's thread, the
    ratelimit plugin calls :meth:`sweep` once a second. Expiry is only about memory: a read
    treats an expired counter as zero whether or not it was swept.
    """

    # The sliding window as limits' last count read it, before its increment:
    # (previous count, previous TTL, current count, current TTL), as ``get_sliding_window``
    # returns it. A hit reads the window anyway; kept here, it gives the request's RateLimit
    # field without reading the window again (RequestCounter._count_sliding). Read right
    # after the hit, on the event loop's thread, the only one counting in memory.
    last_window: tuple[int, float, int, float] = (0, 0.0, 0, 0.0)

    # limits' timer, replaced by sweep(): called by every incr, so a C callable returning at
    # once (int() is 0) rather than a Python method whose frame each count would pay for.
    _MemoryStorage__schedule_expiry = staticmethod(int)

    def _get_sliding_window_info(
        self, previous_key: str, current_key: str, expiry: int, now: float
    ) -> tuple[int, float, int, float]:
        # limits' own read, called by acquire_sliding_window_entry and get_sliding_window,
        # remembered. limits' function is called directly, not through super(): no super
        # object made and looked up on every count.
        info = _sliding_window_info(self, previous_key, current_key, expiry, now)
        self.last_window = info
        return info

    def sliding_window_keys(self, key: str, expiry: int, at: float) -> tuple[str, str]:
        # limits' own keys (TimestampedSlidingWindow.sliding_window_keys: the key, a slash and
        # the window's number), made once per caller and window instead of formatted twice
        # per count; the same string objects each time, so their hashes are not computed
        # again by the dict lookups that follow.
        return _window_keys(key, int((at - expiry) / expiry), int(at / expiry))

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

_sliding_window_info = inspect.unwrap(MemoryStorage._get_sliding_window_info)


@lru_cache(maxsize=KEY_CACHE)
def _window_keys(key: str, previous: int, current: int) -> tuple[str, str]:
    """A sliding window's two storage keys, as limits formats them."""
    return f"{key}/{previous}", f"{key}/{current}"


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


# One count on memory: (rate, policy name, caller) -> (admitted, remaining, seconds to reset).
CountOne = Callable[[Rate, str, str], tuple[bool, int, int]]


class RequestCounter:
    def __init__(self, settings: RateLimitSettings, storage: Any) -> None:
        self.storage = storage
        # Memory cannot hang or fail: counted synchronously, without a timer per request.
        self.memory: sync_strategies.RateLimiter | None = None
        self.strategy: aio_strategies.RateLimiter | None = None
        # The memory count of one rate, read by the middleware: limits' storage called
        # directly where its strategy's hit and get_window_stats read the same counters twice.
        self.count_rate: CountOne | None = None
        if isinstance(storage, MemoryStorage):
            self.memory = MEMORY_STRATEGIES[settings.strategy](storage)
            if isinstance(storage, SweptMemoryStorage) and settings.strategy == "sliding-window":
                self.count_rate = self._count_sliding
            elif settings.strategy == "fixed-window":
                self.count_rate = self._count_fixed
            else:
                self.count_rate = self._count_with_strategy
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

    def _count_with_strategy(self, rate: Rate, name: str, caller: str) -> tuple[bool, int, int]:
        """A count through limits' strategy: its ``hit``, then its ``get_window_stats``."""
        memory = self.memory
        assert memory is not None
        admitted = memory.hit(rate.item, name, caller)
        stats = memory.get_window_stats(rate.item, name, caller)
        return admitted, stats.remaining, _seconds_until(stats.reset_time, time.time())

    def _count_sliding(self, rate: Rate, name: str, caller: str) -> tuple[bool, int, int]:
        """limits' sliding-window ``hit`` (``SlidingWindowCounterRateLimiter.hit`` calls this
        storage method with these arguments), its window's figures taken from the read the hit
        made (``SweptMemoryStorage.last_window``) instead of a second read of both counters by
        ``get_window_stats``: half of the count's instructions (bench/ratelimit_cost.py)."""
        item = rate.item
        storage = self.storage
        expiry = rate.window
        if not storage.acquire_sliding_window_entry(
            item.key_for(name, caller), item.amount, expiry, 1
        ):
            return self._refused_sliding(rate, name, caller)
        # Admitted: counted, so one more in the current window than the hit read. What follows
        # is limits' SlidingWindowCounterRateLimiter.get_window_stats on these figures, inline;
        # its reset time less the time now is the ceil() below. An admitted count is within
        # the amount and a remainder is never negative: neither figure needs a max(0, ...).
        previous_count, previous_ttl, current_count, current_ttl = storage.last_window
        current_count += 1
        if previous_count:
            weighted = previous_count * previous_ttl / expiry + current_count
            reset_in = min(previous_ttl % (expiry / previous_count), current_ttl % expiry)
            return True, item.amount - floor(weighted), ceil(reset_in)
        # No previous window (its first minute, or after a quiet one): nothing to weigh.
        return True, item.amount - current_count, ceil(current_ttl % expiry)

    def _refused_sliding(self, rate: Rate, name: str, caller: str) -> tuple[bool, int, int]:
        """:meth:`_count_sliding`'s figures for a refused request, whose counters are as the
        hit read them: limits takes back an increment that overshot."""
        amount, expiry = rate.item.amount, rate.window
        if amount < 1:  # refused before the window is read: nothing in last_window
            return self._count_with_strategy(rate, name, caller)
        previous_count, previous_ttl, current_count, current_ttl = self.storage.last_window
        remaining = max(0, amount - floor(previous_count * previous_ttl / expiry + current_count))
        if not (previous_count or current_count):
            return False, remaining, 0
        previous_reset_in = previous_ttl % (expiry / previous_count) if previous_count else inf
        current_reset_in = current_ttl % expiry if current_count else inf
        return False, remaining, max(0, ceil(min(previous_reset_in, current_reset_in)))

    def _count_fixed(self, rate: Rate, name: str, caller: str) -> tuple[bool, int, int]:
        """limits' fixed-window ``hit`` (the storage's ``incr``, compared with the amount) and
        ``get_window_stats`` (the count, which ``incr`` just returned, and the key's expiry)."""
        item = rate.item
        storage = self.storage
        key = item.key_for(name, caller)
        count: int = storage.incr(key, rate.window, 1)
        reset = _seconds_until(storage.get_expiry(key), time.time())
        return count <= item.amount, max(0, item.amount - count), reset

    def count_in_memory(self, policy: CompiledPolicy, caller: str) -> Verdict:
        """:meth:`count` on memory storage, which has nothing to wait for: called without a
        coroutine by the middleware (``self.memory`` is set)."""
        memory, count_rate = self.memory, self.count_rate
        assert memory is not None and count_rate is not None
        if policy.single is not None:
            admitted, remaining, reset = count_rate(policy.single, policy.name, caller)
            return Verdict(admitted, (Window(policy.single, remaining, reset),))
        # Shortest window first; the first without room refuses, and the windows behind it
        # are only read (module docstring).
        counted: dict[int, tuple[int, int]] = {}
        admitted = True
        for rate in policy.hit_order:
            admitted, remaining, reset = count_rate(rate, policy.name, caller)
            counted[id(rate)] = (remaining, reset)
            if not admitted:
                break
        now = time.time()
        windows = []
        for rate in policy.rates:
            figures = counted.get(id(rate))
            if figures is None:
                windows.append(
                    _window(rate, memory.get_window_stats(rate.item, policy.name, caller), now)
                )
            else:
                windows.append(Window(rate, *figures))
        return Verdict(admitted, tuple(windows))

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
    return Window(rate, stats.remaining, _seconds_until(stats.reset_time, now))


def _seconds_until(moment: float, now: float) -> int:
    """Whole seconds from ``now`` until ``moment`` (a window's reset), never negative."""
    return max(0, math.ceil(moment - now))
