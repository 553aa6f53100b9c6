"""Prometheus metrics: the host's request metrics and ``GET /metrics`` for every metric.

Plugins define their own metrics with prometheus-client at module level (names prefixed
``gateway_<plugin>_``); they are exported with the host's. Under ``gateway serve --workers N``
the master sets ``PROMETHEUS_MULTIPROC_DIR`` before anything imports prometheus-client, so each
worker writes its values to that folder and ``/metrics``, whichever worker answers, aggregates
all of them (prometheus-client's multi-process mode; gateway/metrics_folder.py keeps the
folder from growing with every worker ever started).
"""

import logging
import os
import time
from typing import Any

from aiohttp import hdrs, web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import choose_encoder

from gateway.aiohttp_seam import request_state
from gateway.keys import PLUGIN_NAME, TRACE_EXEMPLAR
from gateway.metrics_folder import archive_dead_worker, multiprocess_registry
from gateway.runtime_metrics import sample_process
from gateway.tallies import flush_tallies
from gateway.worker_exemplars import flush as flush_exemplars, remember, with_exemplars

log = logging.getLogger("gateway.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# One histogram, not a counter beside it: its _count is the requests answered, by plugin,
# route template, method and status, and each request pays for one observation.
REQUESTS_NAME = "gateway_http_request_duration_seconds"
REQUEST_LABELS = ("plugin", "route", "method", "status")
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
REQUESTS = Histogram(
    REQUESTS_NAME,
    "Requests answered and the time from routing to the answer, by plugin, route template, "
    "method and status.",
    REQUEST_LABELS,
    buckets=REQUEST_BUCKETS,
)


# Labelled children by route, then status, resolved once: prometheus-client's .labels() and
# the label lookups are a noticeable share of a fast request.
_children: dict[Any, dict[int, Any]] = {}


def observe(
    request: web.Request, status: int, started: float, exemplar: dict[str, str] | None = None
) -> tuple[Any, float]:
    """Count one answered request and its latency (with ``exemplar`` on its bucket, shown in
    OpenMetrics, when given); the labelled child and the latency counted."""
    match_info = request.match_info
    route = match_info.route
    if route.resource is not None:
        key: Any = route  # matched routes are long-lived objects
    else:
        # Each unmatched request gets a new route object: key it by what labels it, so an
        # unmatched request never takes the labels of another plugin's or another path's.
        apps = match_info.apps
        template = _allowing_route(request, apps[-1]) if status == 405 and apps else None
        key = (request.method, apps[-1] if apps else None, template)
    by_status = _children.get(key)
    if by_status is None:
        by_status = _children[key] = {}
    child = by_status.get(status)
    if child is None:
        child = by_status[status] = _labelled(request, status)
    elapsed = time.perf_counter() - started
    child.observe(elapsed, exemplar)
    return child, elapsed


def observe_safely(request: web.Request, status: int, started: float) -> None:
    """:func:`observe`, logging instead of raising: metrics must never cost a client its
    answer."""
    try:
        observe(request, status, started)
    except Exception:
        log.exception("could not record metrics for %s %s", request.method, request.path)


def observe_with_trace(request: web.Request, status: int, started: float) -> None:
    """:func:`observe_safely`, with the request's trace and span ids as the exemplar of its
    latency bucket when its trace was sampled (gateway/tracing.py sets them): what the root
    middleware records with tracing and metrics on in one process (under ``--workers``,
    :func:`observe_with_worker_exemplar`)."""
    try:
        observe(request, status, started, request_state(request).get(TRACE_EXEMPLAR))
    except Exception:
        log.exception("could not record metrics for %s %s", request.method, request.path)


def observe_with_worker_exemplar(request: web.Request, status: int, started: float) -> None:
    """:func:`observe_with_trace` under ``--workers``: the exemplar kept by this worker for
    the scrapes to attach (gateway/worker_exemplars.py)."""
    try:
        exemplar = request_state(request).get(TRACE_EXEMPLAR)
        child, elapsed = observe(request, status, started)
        if exemplar is not None:
            remember(REQUEST_BUCKETS, _label_values[id(child)], elapsed, exemplar)
    except Exception:
        log.exception("could not record metrics for %s %s", request.method, request.path)


def _allowing_route(request: web.Request, app: web.Application) -> str | None:
    """The route template that matched a 405's path (with another method), if any."""
    path = request.rel_url.path
    for resource in app.router.resources():
        info = resource.get_info()
        pattern = info.get("pattern")
        if info.get("path") == path or (pattern is not None and pattern.fullmatch(path)):
            return resource.canonical or None
    return None


def observe_unparsed(status: int) -> None:
    """Count one request that aiohttp's HTTP parser refused: it has no route, method or
    plugin, so it is labelled ``plugin="gateway"``, ``route="unparsed"``, ``method="-"``."""
    child = _unparsed.get(status)
    if child is None:
        child = _unparsed[status] = REQUESTS.labels("gateway", "unparsed", "-", str(status))
    child.observe(0.0)


_unparsed: dict[int, Any] = {}


def _labelled(request: web.Request, status: int) -> Any:
    match_info = request.match_info
    resource = match_info.route.resource
    apps = match_info.apps
    plugin = apps[-1].get(PLUGIN_NAME, "gateway") if apps else "gateway"
    if resource is not None:
        route = resource.canonical
    elif status == 405 and apps:
        route = _allowing_route(request, apps[-1]) or "unmatched"
    else:
        route = "unmatched"
    values = (plugin, route, request.method, str(status))
    child = REQUESTS.labels(*values)
    _label_values[id(child)] = values  # for the exemplars of --workers
    return child


# Each labelled child's label values, by id (the children live as long as the process).
_label_values: dict[int, tuple[str, ...]] = {}


async def metrics_view(request: web.Request) -> web.Response:
    """Every metric in the Prometheus text format, or in OpenMetrics when the scraper asks for
    it (``Accept: application/openmetrics-text``, as Prometheus does): the format that carries
    exemplars. Never cached."""
    sample_process()  # this process's own series fresh; the others' at most 5 s old
    flush_tallies()  # the same for the plugins' decision counts (gateway/tallies.py)
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        flush_exemplars(folder)  # this worker's newest, as for the tallies
    registry = multiprocess_registry(folder) if folder else REGISTRY
    accept = request.headers.get(hdrs.ACCEPT, "")
    if "application/openmetrics-text" in accept:
        encode, content_type = choose_encoder(accept)  # prometheus-client's own negotiation
        if folder:  # the workers' exemplars, which the folder's files cannot hold
            registry = with_exemplars(registry, folder, REQUESTS_NAME, REQUEST_LABELS)
    else:
        encode, content_type = generate_latest, CONTENT_TYPE_LATEST
    return web.Response(
        body=encode(registry),
        headers={"Content-Type": content_type, "Cache-Control": "no-store", "Vary": "Accept"},
    )


def mark_worker_dead(pid: int) -> None:
    """Fold a stopped worker's counts into the folder's archives and drop its live gauges
    (gateway/metrics_folder.py), so the folder does not grow with every worker started."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        archive_dead_worker(folder, pid)
