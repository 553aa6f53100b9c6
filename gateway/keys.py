"""Typed keys for what the host shares through the root application."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from gateway.contract import GatewayConfig
from gateway.descriptors import DescriptorWatch
from gateway.health import MountedCheck as MountedCheck  # defined beside run_checks
from gateway.identity import IDENTITY as IDENTITY  # defined beside Identity, identity_of


@dataclass
class GatewayState:
    """Whether the gateway has finished starting and whether it is draining for shutdown."""

    started: bool = False
    draining: bool = False
    # The tasks of the requests being handled (gateway/drain.py bounds them at shutdown).
    in_flight: set[asyncio.Task[object]] = field(default_factory=set)
    # Set once shutdown_timeout has passed: cancelled requests are answered 503.
    cut_off: bool = False
    # A --workers worker that a reload replaced (gateway/workers.py): it drains as on SIGTERM,
    # but the instance is not going away and its replacement already serves, so its readiness
    # keeps answering for the instance: a probe it takes during its drain is no 503.
    replaced: bool = False
    # A tree that a reload in one process replaced (gateway/reload.py): its requests in flight
    # finish and its plugins stop, but it does not drain: the process and its connections go
    # on, answered by the new tree.
    retired: bool = False
    # Whether this process is out of file descriptors (readiness fails with the reason).
    descriptors: DescriptorWatch = field(default_factory=DescriptorWatch)
    # The loop that serves, known once started: asyncio.current_task(loop) given it does not
    # ask for the running loop, a getpid() system call on Python 3.11, on every request.
    loop: asyncio.AbstractEventLoop | None = None

    @property
    def ready(self) -> bool:
        return self.started and (not self.draining or self.replaced)


CONFIG = web.AppKey("gateway.config", GatewayConfig)
STATE = web.AppKey("gateway.state", GatewayState)
HEALTH_CHECKS = web.AppKey("gateway.health_checks", list[MountedCheck])
# Each mounted plugin's own application, by plugin name.
# Each mounted plugin app's name (set on the plugin's own application).
PLUGIN_NAME = web.AppKey("gateway.plugin_name", str)
# The same application's names as the access log writes them: (instance, plugin, label), the
# label being contract.instance_label's ("billing (proxy)"), made once at mount.
ACCESS_NAMES = web.AppKey("gateway.access_names", tuple[str, str, str])
MOUNTED_APPS = web.AppKey("gateway.mounted_apps", dict[str, web.Application])
PLUGIN_REPORT = web.AppKey("gateway.plugin_report", list[dict[str, object]])
# The middlewares that run on each mounted prefix and own path, in order, as listed.
# The hash of the config file served (gateway/runtime_metrics.py).
CONFIG_HASH = web.AppKey("gateway.config_hash", str)
MIDDLEWARE_CHAINS = web.AppKey("gateway.middleware_chains", dict[str, list[dict[str, object]]])
# Per-request state, read by later middlewares and handlers (documented in hookspecs.py).
REQUEST_ID = web.RequestKey("gateway.request_id", str)
# time.perf_counter() when the root middleware took the request: the access log's duration
# (the event loop's clock is too coarse for it: uvloop's ticks in milliseconds).
REQUEST_STARTED = web.RequestKey("gateway.request_started", float)
# IDENTITY (gateway/identity.py): who is calling, once an authentication middleware has
# established it; absent: anonymous.
# The client's address behind a trusted proxy; absent: the socket peer (request.remote).
CLIENT_ADDRESS = web.RequestKey("gateway.client_address", str)
# What a plugin serves under /_gateway/plugins/<its instance>/ (an admin endpoint: purge a
# cache, say), set on the application its gateway_create_app returns. The host adds these
# routes to its own /_gateway/ paths, so whatever protects /_gateway (auth's default rule:
# the admin scope) protects them too.
ADMIN_ROUTES = web.AppKey("gateway.admin_routes", list[web.RouteDef])
# The request's trace and server-span ids (32 and 16 hex digits) while tracing is on
# (gateway/tracing.py): the access log's, written after the span has ended.
TRACE_IDS = web.RequestKey("gateway.trace_ids", tuple[str, str])
# The exemplar of the request's latency observation (``{"trace_id": ..., "span_id": ...}``),
# set by the server span when the trace is sampled and /metrics can show it (one process,
# metrics on): gateway/metrics.py's observe_with_trace.
TRACE_EXEMPLAR = web.RequestKey("gateway.trace_exemplar", dict[str, str])
# The OpenTelemetry TracerProvider of the gateway's traces, set on each plugin's application
# while tracing is on (absent otherwise): for a plugin's own client spans
# (``opentelemetry.trace.get_tracer(name, tracer_provider=app[TRACER_PROVIDER])``).
TRACER_PROVIDER: web.AppKey[Any] = web.AppKey("gateway.tracer_provider")
