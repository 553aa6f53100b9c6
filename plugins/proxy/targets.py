"""The targets of one proxy instance: their state, and which one takes the next request.

A target is *available* while active health checks (if configured) call it healthy and it is
not ejected. Passive ejection takes a target out after ``eject_after`` connect failures or 5xx
answers in a row, for ``eject_for`` seconds; then it is tried again (one more failure ejects it
again at once).

Each change of state keeps its reason and the wall-clock time it happened, so that /health,
/_gateway/plugins and the dashboard can say why and since when (:meth:`Targets.describe`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http.cookies import CookieError, SimpleCookie
from ssl import SSLContext
from urllib.parse import urlsplit

from aiohttp import web

from gateway import client_address
from gateway_plugins.proxy.metrics import TargetMetrics
from gateway_plugins.proxy.settings import ProxySettings

log = logging.getLogger("gateway.proxy")


@dataclass(eq=False)
class Target:
    """One upstream URL: where it is, and what the proxy knows of it now."""

    url: str
    origin: str  # scheme://host:port, as the target's own Location would name it
    base: str  # the URL's own path without a trailing slash: "" or "/api"
    host: str  # the Host field sent when the client's is not preserved
    slots: asyncio.Semaphore
    in_flight: int = 0
    consecutive_failures: int = 0
    ejected_until: float = 0.0
    healthy: bool = True  # the active health checks' verdict
    check_failures: int = 0
    check_successes: int = 0
    last_check: str | None = None
    # Why and since when (time.time()) the target is out, or was last let back in.
    ejected_at: float = 0.0
    eject_reason: str = ""
    health_changed_at: float = field(default_factory=time.time)
    check_reason: str = ""
    metrics: TargetMetrics | None = field(default=None, repr=False)
    # Set when the instance starts (Forwarder.started): what aiohttp's ssl= takes for it, and
    # the path every request's tail follows (its own path, and the prefix unless stripped).
    ssl: SSLContext | bool = field(default=True, repr=False)
    root: str = ""

    @classmethod
    def from_url(cls, url: str, max_connections: int) -> Target:
        parts = urlsplit(url)
        default_port = 443 if parts.scheme == "https" else 80
        port = parts.port or default_port
        host = parts.hostname or ""
        shown_host = f"[{host}]" if ":" in host else host
        netloc = shown_host if port == default_port else f"{shown_host}:{port}"
        return cls(
            url=url,
            origin=f"{parts.scheme}://{netloc}",
            base=parts.path.rstrip("/"),
            host=netloc,
            slots=asyncio.Semaphore(max_connections),
        )

    def ejected(self, now: float) -> bool:
        return now < self.ejected_until

    def available(self, now: float) -> bool:
        return self.healthy and not self.ejected(now)

    def state(self, now: float) -> str:
        if not self.healthy:
            return "unhealthy"
        return "ejected" if self.ejected(now) else "available"

    def checked(self, healthy: bool, reason: str) -> None:
        """The active checks' verdict changed: healthy again, or unhealthy for ``reason``."""
        self.healthy = healthy
        self.health_changed_at = time.time()
        self.check_reason = reason

    def since(self, now: float) -> float:
        """When (``time.time()``) the target entered the state it is in."""
        if not self.healthy:
            return self.health_changed_at
        if self.ejected(now):
            return self.ejected_at
        # Available since its last return: from the checks' verdict, or from an ejection
        # that ended on its own (ejected_until is on the monotonic clock).
        returned = time.time() - (now - self.ejected_until) if self.ejected_until else 0.0
        return max(self.health_changed_at, returned)


def _in_use(target: Target) -> float:
    return target.in_flight


class Targets:
    """The instance's targets and its balancing policy."""

    def __init__(self, settings: ProxySettings) -> None:
        self.all = [Target.from_url(u, settings.max_connections) for u in settings.upstreams]
        self._balance = settings.balance
        self._hash_kind, self._hash_name = settings.hash_source
        self._eject_after = settings.eject_after
        self._eject_for = settings.eject_for
        self._next = 0
        self._random = random.Random()

    def start_metrics(self, instance: str) -> None:
        for target in self.all:
            target.metrics = TargetMetrics(instance, target.url, partial(_in_use, target))

    def available(self) -> list[Target]:
        now = time.monotonic()
        return [t for t in self.all if t.available(now)]

    def any_available(self, excluding: Iterable[Target] = ()) -> bool:
        """Whether a target outside ``excluding`` takes requests now."""
        now = time.monotonic()
        excluded = set(excluding)
        return any(t.available(now) and t not in excluded for t in self.all)

    def choose(self, request: web.BaseRequest, tried: Iterable[Target] = ()) -> Target | None:
        """The target for ``request``'s next attempt, never one in ``tried``; ``None`` when
        no available target is left."""
        now = time.monotonic()
        if tried:
            excluded = set(tried)
            candidates = [t for t in self.all if t.available(now) and t not in excluded]
        else:  # a first attempt, nearly every request
            candidates = [t for t in self.all if t.available(now)]
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        if self._balance == "least_requests":
            # Power of two choices: as good as the least loaded in practice, without the
            # herd that always picking the single least loaded target causes.
            first, second = self._random.sample(candidates, 2)
            return first if first.in_flight <= second.in_flight else second
        if self._balance == "hash":
            key = self._hash_key(request)
            if key is not None:
                # Rendezvous hashing: when a target leaves, only its own clients move.
                return max(candidates, key=lambda t: zlib.crc32(f"{t.url}\0{key}".encode()))
        self._next += 1
        return candidates[self._next % len(candidates)]

    def _hash_key(self, request: web.BaseRequest) -> str | None:
        if self._hash_kind == "address":
            return client_address(request)
        if self._hash_kind == "header":
            return request.headers.get(self._hash_name)
        raw = request.headers.get("Cookie")
        if not raw:
            return None
        try:
            morsel = SimpleCookie(raw).get(self._hash_name)
        except CookieError:
            return None
        return morsel.value if morsel is not None else None

    def succeeded(self, target: Target) -> None:
        target.consecutive_failures = 0

    def failed(self, target: Target, reason: str) -> None:
        """A connect failure or a 5xx answer from ``target``: maybe eject it."""
        target.consecutive_failures += 1
        if self._eject_after and target.consecutive_failures >= self._eject_after:
            now = time.monotonic()
            if not target.ejected(now):
                target.ejected_until = now + self._eject_for
                target.ejected_at = time.time()
                target.eject_reason = (
                    f"{target.consecutive_failures} failures in a row (last: {reason})"
                )
                log.warning(
                    "proxy target %s ejected for %gs after %d failures in a row (last: %s)",
                    target.url,
                    self._eject_for,
                    target.consecutive_failures,
                    reason,
                )
                if target.metrics is not None:
                    target.metrics.ejections.inc()
                    target.metrics.available.set(0)  # back to 1 at the next refresh_gauges
            # Back after eject_for seconds on probation: one more failure ejects it again.
            target.consecutive_failures = self._eject_after - 1

    def refresh_gauges(self) -> None:
        now = time.monotonic()
        for target in self.all:
            if target.metrics is not None:
                target.metrics.available.set(1 if target.available(now) else 0)

    def describe(self) -> list[dict[str, object]]:
        """Each target's state, for /health, /_gateway/plugins and the dashboard: ``state``
        (``available``, ``ejected`` or ``unhealthy``), ``reason`` when it is out, ``since``
        (ISO 8601, UTC), ``connectionsInUse`` (requests and WebSockets holding one now), the
        seconds an ejection has left and the last active check."""
        now = time.monotonic()
        out: list[dict[str, object]] = []
        for target in self.all:
            state = target.state(now)
            entry: dict[str, object] = {"target": target.url, "state": state}
            if state == "unhealthy":
                entry["reason"] = f"health check: {target.check_reason}"
            elif state == "ejected":
                entry["reason"] = target.eject_reason
            since = datetime.fromtimestamp(target.since(now), UTC)
            entry["since"] = since.isoformat(timespec="seconds")
            entry["connectionsInUse"] = target.in_flight
            if target.ejected(now):
                entry["ejectedForSeconds"] = round(target.ejected_until - now, 1)
            if target.last_check is not None:
                entry["lastCheck"] = target.last_check
            out.append(entry)
        return out
