"""Request rate, error rate and latency percentiles over the last minutes, for the dashboard.

Prometheus counters only grow; a rate needs two readings. With metrics on, a task samples the
request histogram (``gateway_http_request_duration_seconds``, summed per plugin) every
``INTERVAL`` seconds and keeps ``WINDOW`` seconds of samples; the dashboard's numbers are the
differences between samples. Under ``--workers N`` the readings are of the multi-process
aggregate, so whichever worker answers shows every worker's traffic. Percentiles are
interpolated within the histogram's buckets, as Prometheus' ``histogram_quantile`` does.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import REGISTRY

from gateway.metrics import MULTIPROC_ENV
from gateway.metrics_folder import multiprocess_registry

INTERVAL = 5.0  # seconds between samples
WINDOW = 300.0  # seconds of samples kept: "the last five minutes"
_METRIC = "gateway_http_request_duration_seconds"


@dataclass
class PluginCounts:
    """Cumulative counts of one plugin's answered requests at one instant."""

    requests: float = 0.0
    server_errors: float = 0.0
    client_errors: float = 0.0
    # Cumulative bucket counts by upper bound (seconds), +Inf included.
    buckets: dict[float, float] = field(default_factory=dict)


Sample = tuple[float, dict[str, PluginCounts]]


def read_counts(registry: Any = None) -> dict[str, PluginCounts]:
    """The request histogram now, summed per plugin over routes, methods and statuses."""
    if registry is None:
        folder = os.environ.get(MULTIPROC_ENV)
        registry = multiprocess_registry(folder) if folder else REGISTRY
    counts: dict[str, PluginCounts] = {}
    for family in registry.collect():
        if family.name != _METRIC:
            continue
        for sample in family.samples:
            plugin = sample.labels.get("plugin", "gateway")
            entry = counts.setdefault(plugin, PluginCounts())
            if sample.name.endswith("_count"):
                entry.requests += sample.value
                status = sample.labels.get("status", "")
                if status.startswith("5"):
                    entry.server_errors += sample.value
                elif status.startswith("4"):
                    entry.client_errors += sample.value
            elif sample.name.endswith("_bucket"):
                bound = float(sample.labels["le"])
                entry.buckets[bound] = entry.buckets.get(bound, 0.0) + sample.value
    return counts


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """The ``q`` quantile (seconds) of cumulative ``buckets``; None with no observation."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    total = buckets[bounds[-1]]
    rank = q * total
    previous_bound, previous_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return previous_bound  # beyond the largest finite bucket: its bound, as Prometheus
            width = count - previous_count
            fraction = (rank - previous_count) / width if width > 0 else 1.0
            return previous_bound + (bound - previous_bound) * fraction
        previous_bound, previous_count = bound, count
    return previous_bound


class TrafficHistory:
    """The samples of the last ``WINDOW`` seconds, and what they say."""

    def __init__(self, window: float = WINDOW, interval: float = INTERVAL) -> None:
        self.window = window
        self.interval = interval
        self.samples: deque[Sample] = deque(maxlen=int(window / interval) + 1)

    def record(
        self, now: float | None = None, counts: dict[str, PluginCounts] | None = None
    ) -> None:
        self.samples.append((now if now is not None else time.time(), counts or read_counts()))

    def summary(self) -> dict[str, Any]:
        """Per plugin over the whole window, plus a series of (time, rate, p95) per interval."""
        now = (time.time(), read_counts())
        samples = [*self.samples, now]
        first, last = samples[0], samples[-1]
        span = last[0] - first[0]
        plugins = {
            name: _describe(_difference(counts, first[1].get(name)), span)
            for name, counts in sorted(last[1].items())
        }
        series = []
        for before, after in itertools.pairwise(samples):
            seconds = after[0] - before[0]
            if seconds <= 0:
                continue
            total = _total(
                _difference(counts, before[1].get(name)) for name, counts in after[1].items()
            )
            p95 = quantile(0.95, total.buckets)
            series.append(
                {
                    "time": round(after[0], 3),
                    "rate": round(total.requests / seconds, 3),
                    "p95_ms": None if p95 is None else round(p95 * 1000, 3),
                }
            )
        return {
            "available": True,
            "window_seconds": round(span, 3),
            "interval_seconds": self.interval,
            "plugins": plugins,
            "series": series,
        }


def _difference(now: PluginCounts, before: PluginCounts | None) -> PluginCounts:
    if before is None:
        return now
    return PluginCounts(
        requests=now.requests - before.requests,
        server_errors=now.server_errors - before.server_errors,
        client_errors=now.client_errors - before.client_errors,
        buckets={b: c - before.buckets.get(b, 0.0) for b, c in now.buckets.items()},
    )


def _total(parts: Iterable[PluginCounts]) -> PluginCounts:
    total = PluginCounts()
    for part in parts:
        total.requests += part.requests
        total.server_errors += part.server_errors
        total.client_errors += part.client_errors
        for bound, count in part.buckets.items():
            total.buckets[bound] = total.buckets.get(bound, 0.0) + count
    return total


def _describe(counts: PluginCounts, span: float) -> dict[str, Any]:
    def ms(q: float) -> float | None:
        value = quantile(q, counts.buckets)
        return None if value is None else round(value * 1000, 3)

    requests = counts.requests
    return {
        "requests": int(requests),
        "rate": round(requests / span, 3) if span > 0 else None,
        "error_rate": round(counts.server_errors / requests, 4) if requests else None,
        "client_error_rate": round(counts.client_errors / requests, 4) if requests else None,
        "p50_ms": ms(0.5),
        "p95_ms": ms(0.95),
        "p99_ms": ms(0.99),
    }


TRAFFIC = web.AppKey("gateway.traffic", TrafficHistory)


async def sample_traffic(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: sample every ``INTERVAL`` seconds while the gateway runs."""
    history = app[TRAFFIC]

    async def run() -> None:
        while True:
            history.record()
            await asyncio.sleep(history.interval)

    task = asyncio.create_task(run(), name="gateway traffic sampler")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
