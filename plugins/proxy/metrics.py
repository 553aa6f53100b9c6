"""Prometheus metrics of the proxy, by instance (the name the host gives it, the
``[plugins.NAME]`` table's) and target.

Defined once per process, as prometheus_client's metrics are; each instance resolves its own
labelled children when it starts (:class:`TargetMetrics`), so several instances in one
process never share a series. Under ``--workers N`` counters and histograms sum over the
workers and the gauges are the live workers' sum.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram

LABELS = ("instance", "target")
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUESTS = Counter(
    "gateway_proxy_requests_total",
    "Attempts sent to a target, by the class of its answer (1xx-5xx) or 'error' when it did "
    "not answer.",
    [*LABELS, "status_class"],
)
UPSTREAM_SECONDS = Histogram(
    "gateway_proxy_upstream_seconds",
    "Time from sending a request to a target to the head of its answer.",
    LABELS,
    buckets=_BUCKETS,
)
TOTAL_SECONDS = Histogram(
    "gateway_proxy_total_seconds",
    "Time from taking a request to the last byte of its relayed answer, retries included.",
    ["instance"],
    buckets=_BUCKETS,
)
RETRIES = Counter("gateway_proxy_retries_total", "Attempts made again on another target.", LABELS)
EJECTIONS = Counter(
    "gateway_proxy_ejections_total",
    "Times a target was taken out of rotation (passive ejection or failed health checks).",
    LABELS,
)
CONNECTIONS = Gauge(
    "gateway_proxy_connections_in_use",
    "Requests and WebSockets holding a connection to a target now.",
    LABELS,
    multiprocess_mode="livesum",
)
AVAILABLE = Gauge(
    "gateway_proxy_target_available",
    "1 while a target is in rotation, 0 while it is ejected or unhealthy.",
    LABELS,
    multiprocess_mode="liveall",
)

_CLASSES = ("error", "1xx", "2xx", "3xx", "4xx", "5xx")


class TargetMetrics:
    """One target's labelled series, resolved once (``.labels`` is costly per request).

    ``in_use`` reads the target's connections in use: in one process the gauge asks it at
    each scrape, and ``connections`` is ``None`` (nothing to do per request). Under
    ``--workers N`` (prometheus-client's multi-process mode, where a scrape reads what each
    worker wrote) the gauge is moved per request instead: ``connections``.
    """

    def __init__(self, instance: str, target: str, in_use: Callable[[], float]) -> None:
        self.by_class = {c: REQUESTS.labels(instance, target, c) for c in _CLASSES}
        # By status // 100 (0 and 6-9 cannot come from aiohttp's parser: counted as 5xx).
        by_hundred = [
            self.by_class[f"{n}xx"] if 1 <= n <= 5 else self.by_class["5xx"] for n in range(10)
        ]
        self._by_hundred = tuple(by_hundred)
        self.upstream_seconds = UPSTREAM_SECONDS.labels(instance, target)
        self.retries = RETRIES.labels(instance, target)
        self.ejections = EJECTIONS.labels(instance, target)
        gauge = CONNECTIONS.labels(instance, target)
        self.connections: Gauge | None = gauge
        if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            gauge.set_function(in_use)
            self.connections = None
        self.available = AVAILABLE.labels(instance, target)
        self.available.set(1)

    def answered(self, status: int) -> None:
        self._by_hundred[status // 100 if 100 <= status < 1000 else 5].inc()

    def failed(self) -> None:
        self.by_class["error"].inc()
