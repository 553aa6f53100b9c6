"""OpenTelemetry traces: a server span per request, client spans for every upstream call.

Imported by gateway/app.py only when ``[gateway.tracing] enabled = true``; with tracing off
nothing of OpenTelemetry is imported and no request pays for it: the root application simply
has one middleware fewer (docs/tracing.md, bench/README.md).

- The server span: :func:`server_span_middleware`, placed outside the gateway's own root
  middleware, so it sees the final answer (problem+json errors included). Named by the route
  template (``GET /notes/{id}``), never by the path; the W3C ``traceparent`` of the request
  is continued.
- Client spans: the official instrumentations of aiohttp's client (the proxy plugin, the
  crypto plugin's CoinGecko calls, the jwt plugin's key fetches), of redis-py and of
  SQLAlchemy, given this provider (not the global one: a test process may build several
  gateways). The aiohttp instrumentation sends ``traceparent`` upstream.
- Export: OTLP over HTTP from the BatchSpanProcessor's thread with a bounded queue, through
  :class:`gateway.trace_export.OutageReportingExporter`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import yarl
from aiohttp import web
from multidict import istr
from opentelemetry.context import attach, detach
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import (
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    format_span_id,
    format_trace_id,
    set_span_in_context,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from gateway.aiohttp_seam import request_state
from gateway.contract import TracingSettings
from gateway.identity import identity_of
from gateway.keys import PLUGIN_NAME, TRACE_EXEMPLAR, TRACE_IDS
from gateway.middleware import Handler
from gateway.redact import redact_text
from gateway.trace_export import OutageReportingExporter
from gateway.version import __version__

log = logging.getLogger("gateway.tracing")

TRACEPARENT = istr("traceparent")

# The stable HTTP and database attribute names (http.request.method, url.full,
# db.query.text), the ones the server span uses too, unless the operator chose otherwise.
# Read once, when the first instrumentation starts.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http,database")


def _without_query(url: yarl.URL) -> str:
    """An upstream URL as a client span shows it: no query string (an API key may be in
    it: CoinGecko's ``x_cg_demo_api_key``), no fragment; the instrumentation removes any
    user and password itself."""
    return str(url.with_query(None).with_fragment(None))


# The gateways of this process whose tracing has started, oldest first: the client
# instrumentations report to the last one's provider (a reload in one process starts the new
# tree's tracing before the old tree's stops).
_running: list[Tracing] = []


class Tracing:
    """This process's tracer provider, its exporter and the instrumentations it turned on."""

    def __init__(self, settings: TracingSettings) -> None:
        self.settings = settings
        resource = Resource.create(
            {SERVICE_NAME: settings.service_name, SERVICE_VERSION: __version__}
        )
        self.provider = TracerProvider(
            resource=resource,
            sampler=ParentBased(TraceIdRatioBased(settings.sampling_ratio)),
            shutdown_on_exit=False,  # stop() shuts it down, bounded; not an atexit hook
        )
        self.tracer = self.provider.get_tracer("gateway", __version__)
        self.exporter: OutageReportingExporter | None = None
        self.instrumentors: list[Any] = []

    def start(self) -> None:
        """Turn the client instrumentations on, before any plugin opens a session, a Redis
        client or an engine."""
        settings = self.settings
        # Built here, not with the application: the processor starts a thread, which an
        # application that is never served (gateway check) should not.
        self.exporter = OutageReportingExporter(
            OTLPSpanExporter(
                endpoint=settings.endpoint,
                headers=dict(settings.headers),
                timeout=settings.export_timeout,
            ),
            settings.endpoint,
        )
        self.provider.add_span_processor(
            BatchSpanProcessor(
                self.exporter, max_queue_size=settings.max_queue_size, schedule_delay_millis=1000
            )
        )
        _running.append(self)
        self.instrument()
        headers = ", ".join(f"{name}=***" for name in self.settings.headers) or "none"
        log.info(
            "tracing on: OTLP/HTTP to %s (headers: %s), sampling ratio %g, service %r",
            redact_text(self.settings.endpoint),
            headers,
            self.settings.sampling_ratio,
            self.settings.service_name,
        )

    def instrument(self) -> None:
        """The client instrumentations on, reporting to this provider: taken over from
        another running gateway of this process (a reload's previous tree, which stops
        next), left alone when something else turned them on."""
        wanted: list[tuple[Any, dict[str, Any]]] = [
            (AioHttpClientInstrumentor(), {"url_filter": _without_query}),
            (RedisInstrumentor(), {}),
            # Its declared range ends before SQLAlchemy 2.1, which the gateway uses: the
            # hooks it needs (create_async_engine, the engine's cursor events) are unchanged,
            # and tests/tracing checks its spans and their parents against 2.1.
            (SQLAlchemyInstrumentor(), {"skip_dep_check": True}),
        ]
        for instrumentor, options in wanted:  # instrumentors are singletons
            owner = next((t for t in _running if instrumentor in t.instrumentors), None)
            if owner is not None and owner is not self:
                instrumentor.uninstrument()
                owner.instrumentors.remove(instrumentor)
            elif instrumentor.is_instrumented_by_opentelemetry:
                continue  # by this gateway already, or by someone else
            instrumentor.instrument(tracer_provider=self.provider, **options)
            self.instrumentors.append(instrumentor)

    async def stop(self) -> None:
        """Instrumentations off, waiting spans exported (bounded by ``export_timeout``; at
        once while the collector is away). The instrumentations go back to the gateway of
        this process started before this one, if it still runs."""
        for instrumentor in self.instrumentors:
            instrumentor.uninstrument()
        self.instrumentors.clear()
        if self in _running:
            _running.remove(self)
            if _running:
                _running[-1].instrument()
        if self.exporter is None:
            return
        self.exporter.abort_retries()
        # The processor joins its thread, which may be sending: not on the event loop.
        await asyncio.to_thread(self.provider.shutdown)
        self.exporter.forget()

    def middleware(self, *, exemplars: bool = False) -> Any:
        return server_span_middleware(self.tracer, exemplars=exemplars)


def server_span_middleware(tracer: Tracer, *, exemplars: bool = False) -> Any:
    """The root application's outermost middleware while tracing is on: one server span per
    request, current while the request is handled (so client spans are its children and log
    lines carry its ids). With ``exemplars`` (metrics on, one process), a sampled request's
    ids are also its latency observation's exemplar (gateway/metrics.py)."""
    propagator = TraceContextTextMapPropagator()  # W3C traceparent and tracestate only

    @web.middleware
    async def traced(request: web.Request, handler: Handler) -> web.StreamResponse:
        method = request.method
        match_info = request.match_info
        resource = match_info.route.resource
        route = resource.canonical if resource is not None else None
        name = f"{method} {route}" if route is not None else method
        headers = request.headers
        # Most requests carry no traceparent: the propagator's parsing is skipped for them.
        parent = propagator.extract(headers) if TRACEPARENT in headers else None
        # start_span and attach rather than start_as_current_span: its context managers
        # cost a sampled-out request a fifth more (2.5 of 11 us).
        span = tracer.start_span(
            name,
            context=parent,
            kind=SpanKind.SERVER,
            record_exception=False,  # the gateway answers errors itself, without tracebacks
            set_status_on_exception=False,
        )
        token = attach(set_span_in_context(span))
        try:
            ids = span.get_span_context()
            state = request_state(request)
            trace_id, span_id = format_trace_id(ids.trace_id), format_span_id(ids.span_id)
            state[TRACE_IDS] = (trace_id, span_id)
            recording = span.is_recording()  # else (sampled out) attributes would be dropped
            if recording:
                span.set_attributes(_request_attributes(request, method, route, match_info))
                if exemplars:  # only a trace that is exported: one an exemplar can lead to
                    state[TRACE_EXEMPLAR] = {"trace_id": trace_id, "span_id": span_id}
            try:
                response = await handler(request)
            except web.HTTPException as answer:  # a redirect or a 304, raised as an answer
                if recording:
                    _finish(span, request, answer.status)
                raise
            except BaseException as exc:  # cancelled: the client went away
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__qualname__))
                raise
            if recording:
                _finish(span, request, response.status)
            return response
        finally:
            detach(token)
            span.end()

    return traced


def _request_attributes(
    request: web.Request, method: str, route: str | None, match_info: Any
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.path": request.path,  # never the query string: secrets travel in it
        "url.scheme": request.scheme,
    }
    if route is not None:
        attributes["http.route"] = route
        apps = match_info.apps
        attributes["gateway.plugin"] = apps[1].get(PLUGIN_NAME, "-") if len(apps) > 1 else "gateway"
    return attributes


def _finish(span: Any, request: web.Request, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    identity = identity_of(request)
    if identity is not None:
        span.set_attribute("enduser.id", identity.name)  # the name, never the credential
    if status >= 500:
        span.set_attribute("error.type", str(status))
        span.set_status(Status(StatusCode.ERROR))
