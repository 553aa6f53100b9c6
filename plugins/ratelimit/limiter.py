"""Counting requests with `limits`: per caller and policy, with a storage that may fail.

A policy is one or more rates; a request is admitted when every rate has room, and then
counts against each. The storage is `limits`' async memory storage (one process) or Redis
(every process and host sharing it: the admitted total is exact). When Redis does not answer
within `storage_timeout`, the request goes through or is refused as configured, and the
storage is left alone for `storage_retry` seconds; the outage is logged once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.storage import storage_from_string

from gateway.redact import redact
from gateway_plugins.ratelimit.settings import Counting, RateLimitSettings

log = logging.getLogger("gateway_plugins.ratelimit")

STRATEGIES: dict[str, type[RateLimiter]] = {
    "sliding-window": SlidingWindowCounterRateLimiter,
    "moving-window": MovingWindowRateLimiter,
    "fixed-window": FixedWindowRateLimiter,
}


@dataclass(frozen=True)
class Rate:
    label: str  # as the operator wrote it: "60/minute"
    item: RateLimitItem
    window: int  # seconds


@dataclass(frozen=True)
class CompiledPolicy:
    name: str  # the bucket: "default", or the scope it overrides
    rates: tuple[Rate, ...]
    by: Counting
    # The RateLimit-Policy field, the same on every answer under this policy.
    policy_field: str

    @classmethod
    def of(cls, name: str, limits: list[str], by: Counting) -> CompiledPolicy:
        rates = []
        for text in limits:
            items = parse_many(text)
            for item in items:
                label = text.strip() if len(items) == 1 else str(item)
                rates.append(Rate(label, item, item.get_expiry()))
        field = ", ".join(f'"{r.label}";q={r.item.amount};w={r.window}' for r in rates)
        return cls(name, tuple(rates), by, field)


@dataclass(frozen=True)
class Window:
    rate: Rate
    remaining: int
    reset: int  # seconds until the window has room again


@dataclass(frozen=True)
class Verdict:
    admitted: bool
    windows: tuple[Window, ...] = ()
    storage_down: bool = False

    @property
    def exhausted(self) -> Window | None:
        return next((w for w in self.windows if w.remaining <= 0), None)


class StorageDown(Exception):
    """The storage failed or timed out; the caller decides to admit or refuse."""


def open_storage(settings: RateLimitSettings) -> Storage:
    if settings.storage.startswith("memory"):
        return storage_from_string("async+memory://")
    options: dict[str, Any] = {
        "implementation": "redispy",
        "wrap_exceptions": True,
        "key_prefix": settings.key_prefix,
        "socket_timeout": settings.storage_timeout,
        "socket_connect_timeout": settings.storage_timeout,
    }
    return storage_from_string(f"async+{settings.storage}", **options)


class RequestCounter:
    def __init__(self, settings: RateLimitSettings, storage: Storage) -> None:
        self.storage = storage
        self.strategy = STRATEGIES[settings.strategy](storage)
        # Memory cannot hang; a timer per request would cost the fast path a scheduled call.
        self.timeout = None if settings.storage.startswith("memory") else settings.storage_timeout
        self.retry = settings.storage_retry
        self.where = redact(settings.storage)
        self.down_until = 0.0
        self.down_since: float | None = None
        self.last_error = ""

    @property
    def healthy(self) -> bool:
        return self.down_since is None

    async def count(self, policy: CompiledPolicy, caller: str) -> Verdict:
        """Admit (and count) one request of ``caller`` under ``policy``, or refuse it."""
        if self.down_since is not None and time.monotonic() < self.down_until:
            return Verdict(False, storage_down=True)
        try:
            if self.timeout is None:
                verdict = await self._count(policy, caller)
            else:
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
        # Rates are hit in order and the first without room refuses: the rates before it
        # have counted this request, which errs on the side of the limit.
        admitted = True
        for rate in policy.rates:
            if not await self.strategy.hit(rate.item, policy.name, caller):
                admitted = False
                break
        windows = []
        now = time.time()
        for rate in policy.rates:
            stats = await self.strategy.get_window_stats(rate.item, policy.name, caller)
            reset = max(0, math.ceil(stats.reset_time - now))
            windows.append(Window(rate, stats.remaining, reset))
        return Verdict(admitted, tuple(windows))

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
