"""The root application: mounts every enabled plugin and adds what all of them share."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from gateway import drain
from gateway.aiohttp_seam import request_state
from gateway.bodies import HANDLER_ARGS, check_content_encoding
from gateway.config import GatewayConfig, PluginConfig
from gateway.dashboard import ASSETS as DASHBOARD_ASSETS, CHECK_LIMIT, add_dashboard_routes
from gateway.descriptors import watch_context
from gateway.docs import ASSETS as DOCS_ASSETS, add_docs_routes
from gateway.errors import answer_error, file_response_problem
from gateway.health import run_checks, with_health
from gateway.hosts import check_host
from gateway.keys import (
    ACCESS_NAMES,
    ADMIN_ROUTES,
    CONFIG,
    CONFIG_HASH,
    HEALTH_CHECKS,
    IDENTITY,
    MIDDLEWARE_CHAINS,
    MOUNTED_APPS,
    PLUGIN_NAME,
    PLUGIN_REPORT,
    REQUEST_ID,
    REQUEST_STARTED,
    STATE,
    TRACER_PROVIDER,
    GatewayState,
    MountedCheck,
)
from gateway.metrics import (
    MULTIPROC_ENV,
    metrics_view,
    observe_safely,
    observe_with_trace,
    observe_with_worker_exemplar,
)
from gateway.middleware import (
    OWN_SCOPES,
    Chain,
    Handler,
    Middleware,
    PlacedMiddleware,
    chains,
    compose,
    own_scope,
    place,
)
from gateway.openapi import HIDDEN_PATHS, add_openapi_route
from gateway.plugins import await_me_maybe, call_plugin_hook
from gateway.proxies import TrustedProxies, apply_forwarded
from gateway.redact import redact
from gateway.request_id import HEADER, choose_request_id, current_request_id
from gateway.response_fields import PREPARE_CALLBACKS, RESPONSE_FIELDS, prepare_answer
from gateway.responses import json_response
from gateway.runtime_metrics import config_hash, in_flight_child, sample_process_ctx

log = logging.getLogger("gateway.app")


class PluginSetupError(Exception):
    """An enabled plugin could not be built or started; the gateway does not start."""

    def __init__(self, name: str, cause: BaseException) -> None:
        self.name = name
        self.cause = cause
        super().__init__(f"plugin {name!r} failed to start: {type(cause).__name__}: {cause}")


@dataclass
class _Routing:
    """Which middleware chain runs for a request: by mounted plugin app, or by own path."""

    # By id(): an Application's own __hash__ is a Python call on every request.
    by_app: dict[int, Chain | None] = field(default_factory=dict)
    gateway: Chain | None = None
    metrics: Chain | None = None
    # With metrics on: each mounted plugin app's in-flight gauge, by id() (runtime_metrics).
    in_flight: dict[int, Any] = field(default_factory=dict)

    def own(self, path: str) -> Chain | None:
        scope = own_scope(path)
        if scope == "/_gateway":
            return self.gateway
        return self.metrics if scope == "/metrics" else None


@dataclass
class _Built:
    app: web.Application
    checks: list[MountedCheck]
    middlewares: list[Middleware]


async def create_app(config: GatewayConfig, *, strict: bool = True) -> web.Application:
    """Build the root application with every enabled plugin mounted under its prefix and every
    contributed middleware placed on its scopes.

    With ``strict`` (the default, and what ``gateway serve`` uses) a plugin that fails to build
    raises :class:`PluginSetupError`; otherwise it is reported as failed and left unmounted.
    """
    routing = _Routing()
    state = GatewayState()
    trusted = TrustedProxies(config.gateway.trusted_proxies, config.gateway.forwarded_header)
    traced = config.gateway.tracing.enabled
    # Exemplars (trace ids on the latency histogram) with metrics and tracing on: in the
    # histogram in one process, kept by each worker under --workers, whose folder of values
    # holds none (gateway/worker_exemplars.py).
    exemplars = traced and config.gateway.metrics
    record = (
        (observe_with_worker_exemplar if os.environ.get(MULTIPROC_ENV) else observe_with_trace)
        if exemplars
        else observe_safely
    )
    middlewares = [_root_middleware(config.gateway.metrics, trusted, routing, state, record)]
    tracing: Any = None
    if traced:
        # Decided here, once: with tracing off nothing of OpenTelemetry is imported and no
        # request pays for it, not even a branch (gateway/tracing.py).
        from gateway.tracing import Tracing

        tracing = Tracing(config.gateway.tracing)
        # Outermost: sees the final answer.
        middlewares.insert(0, tracing.middleware(exemplars=exemplars))
    root = web.Application(
        middlewares=middlewares,
        handler_args=HANDLER_ARGS,  # gateway/bodies.py: bodies are decoded by read_body
    )
    if tracing is not None:
        # The first of the root's contexts, so the instrumentations are on before any plugin
        # opens a client session, a Redis client or an engine at start-up.
        root.cleanup_ctx.append(_traced(tracing))
    root[CONFIG] = config
    root[STATE] = state
    root[MOUNTED_APPS] = {}
    root.on_shutdown.append(_mark_draining)  # first, so readiness fails before anything closes

    checks: list[MountedCheck] = []
    report: list[dict[str, Any]] = []
    placed: list[PlacedMiddleware] = []
    started: list[tuple[PluginConfig, _Built, dict[str, Any]]] = []
    scopes = config.scopes()
    for plugin in sorted(config.plugins.values(), key=lambda p: p.name):
        row = _describe(plugin)
        report.append(row)
        if not plugin.enabled:
            continue
        try:
            built = await _build(config, plugin, tracing)
        except Exception as exc:
            if strict:
                raise PluginSetupError(plugin.name, exc) from exc
            row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
            continue
        started.append((plugin, built, row))
        _add_admin_routes(root, plugin.name, built.app)
        checks.extend(built.checks)
        ours = place(
            plugin.name,
            built.middlewares,
            priority=plugin.priority,
            apply_to=plugin.apply_to,
            skip=plugin.skip,
            scopes=scopes,
        )
        placed.extend(ours)
        row["middlewares"] = [
            {"name": p.label, "priority": p.priority, "applies_to": _scope_prefixes(p, config)}
            for p in ours
        ]

    by_scope = chains(placed, set(scopes.values()))
    # gateway/response_fields.py: the request id, Server and the middlewares' fields go on
    # every answer as it is prepared, whoever prepares it (a handler that streams included):
    # one receiver on the root, which sees every routed request.
    root.on_response_prepare.append(prepare_answer)
    for plugin, built, row in started:
        if plugin.prefix is not None:
            _mount(root, plugin, built.app)
            row["status"] = "mounted"
        else:
            root.cleanup_ctx.append(_alongside(plugin.name, built.app))
            row["status"] = "active"
    for name, sub in root[MOUNTED_APPS].items():
        routing.by_app[id(sub)] = compose(by_scope.get(name, []), _checked_file)
    routing.gateway = compose(by_scope.get("/_gateway", []), _checked_file)
    routing.metrics = compose(by_scope.get("/metrics", []), _checked_file)
    root[MIDDLEWARE_CHAINS] = {
        _prefix_of(scope, config): [
            {"name": p.label, "priority": p.priority} for p in by_scope[scope]
        ]
        for scope in sorted(by_scope, key=lambda s: _prefix_of(s, config))
    }

    root[HEALTH_CHECKS] = checks
    root[PLUGIN_REPORT] = report
    root.router.add_get("/_gateway/plugins", _plugins_view)
    add_openapi_route(root)
    add_docs_routes(root)
    add_dashboard_routes(root)
    root[HIDDEN_PATHS] = (DOCS_ASSETS, DASHBOARD_ASSETS)  # files, not API operations
    if config.gateway.metrics:
        root.router.add_get("/metrics", metrics_view)
        root.cleanup_ctx.append(sample_process_ctx)
        routing.in_flight.update(
            (id(sub), in_flight_child(name)) for name, sub in root[MOUNTED_APPS].items()
        )
    root[CONFIG_HASH] = config_hash(config.path)
    root.on_startup.append(_mark_started)  # last: runs after every plugin's start-up
    root.cleanup_ctx.append(watch_context(state.descriptors))
    drain.track(root, config.gateway)  # last: after every plugin's on_shutdown
    return root


def _prefix_of(scope: str, config: GatewayConfig) -> str:
    if scope in OWN_SCOPES:
        return scope
    prefix = config.plugins[scope].prefix
    assert prefix is not None
    return prefix


def _scope_prefixes(placed: PlacedMiddleware, config: GatewayConfig) -> list[str]:
    return sorted(_prefix_of(scope, config) for scope in placed.scopes)


def _root_middleware(
    measure: bool,
    trusted: TrustedProxies,
    routing: _Routing,
    state: GatewayState,
    record: Callable[[web.Request, int, float], None] = observe_safely,
) -> Any:
    in_flight = state.in_flight
    by_app = routing.by_app
    behind_proxies = bool(trusted)  # fixed by the config: not asked on every request
    finishing = measure or behind_proxies  # work after the answer: gauges, the identity
    flying = routing.in_flight  # filled once the plugins are mounted
    own_flying: Any = in_flight_child("gateway") if measure else None

    @web.middleware
    async def gateway_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Give the request its id (in its log lines and on its response), see the client
        through trusted proxies, run the plugin middlewares that apply to it (with the
        response fields they add: gateway/response_fields.py), answer every error as
        problem+json, and count the answer for ``/metrics``.

        One middleware doing all of it: each layer costs every request (bench/README.md).
        ``X-Request-ID`` and ``Server`` go on the answer as it is prepared
        (gateway/response_fields.py), so that a streamed one has them too.
        """
        shared = request_state(request)  # gateway/aiohttp_seam.py
        shared[REQUEST_STARTED] = started = time.perf_counter()
        shared[REQUEST_ID] = request_id = choose_request_id(request.headers.get(HEADER))
        current_request_id.set(request_id)
        match_info = request.match_info
        apps = match_info.apps
        chain = by_app.get(id(apps[1])) if len(apps) > 1 else routing.own(request.path)
        if chain is not None and chain.adds_fields:  # type: ignore[attr-defined]
            # gateway/response_fields.py: given before apply_forwarded clones the request,
            # so that the clone the middlewares see shares it.
            shared[RESPONSE_FIELDS] = CIMultiDict()
            if behind_proxies:  # the clone must share on_prepare's list too (not a copy)
                shared[PREPARE_CALLBACKS] = []
        if behind_proxies:
            request = apply_forwarded(request, trusted)
        task = asyncio.current_task(state.loop)  # GatewayState.loop: no getpid()
        in_flight.add(task)  # type: ignore[arg-type]
        if measure:  # runtime_metrics: in flight by plugin (the host's own as "gateway")
            gauge = flying.get(id(apps[1])) if len(apps) > 1 else None
            (gauge or own_flying).inc()
        try:
            check_host(request)  # gateway/hosts.py: before any handler acts on the request
            if request.body_exists:  # gateway/bodies.py: 415 for a coding not decoded
                check_content_encoding(request)
            if chain is None:
                response = await handler(request)
            else:  # inside the chain, so plugin middlewares see a missing file as its problem
                # and, served any way, see the application that answers as request.app.
                match_info.current_app = apps[-1]
                response = await chain(handler)(request)  # _checked_file innermost
            # add_static's file may be missing, unless the chain checked it (one of its
            # middlewares sees answers). A plain web.Response, what nearly every handler
            # returns, skips isinstance: aiohttp's responses are ABCs (MutableMapping), whose
            # check runs Python code in abc.ABCMeta.
            if (
                type(response) is not web.Response
                and (chain is None or not chain.answers_inside)  # type: ignore[attr-defined]
                and isinstance(response, web.FileResponse)
            ):
                await _check_file(request)
        except asyncio.CancelledError:
            if not state.cut_off:
                raise
            response = drain.cut_off_answer(request, state)
        except Exception as exc:
            try:
                response = answer_error(request, exc)
            except web.HTTPException as answer:  # a redirect or a 304: an answer, raised
                if measure:
                    record(request, answer.status, started)
                if state.draining:
                    answer.force_close()
                raise
        finally:
            in_flight.discard(task)  # type: ignore[arg-type]
            if finishing:  # one test for the usual case, neither metrics nor proxies
                if measure:
                    (gauge or own_flying).dec()
                if behind_proxies:
                    # The forwarded view is a clone with a copy of the request's dict: the
                    # identity a middleware gave it goes back to the request aiohttp holds,
                    # which the access log and the server span read.
                    identity = request_state(request).get(IDENTITY)
                    if identity is not None:
                        shared[IDENTITY] = identity
        if state.draining and not response.prepared:  # keep-alive clients move elsewhere
            response.force_close()
        if measure:
            record(request, response.status, started)
        return response

    return gateway_middleware


async def _checked_file(handler: Handler, request: web.Request) -> web.StreamResponse:
    """The innermost layer of a plugin middleware chain (gateway.middleware.compose): the
    route's handler, its missing file found, its errors answered as problem+json."""
    try:
        response = await handler(request)
        # add_static's file may be missing (type first: as in the root middleware)
        if type(response) is not web.Response and isinstance(response, web.FileResponse):
            await _check_file(request)
        return response
    except Exception as exc:
        return answer_error(request, exc)


async def _check_file(request: web.Request) -> None:
    problem = await file_response_problem(request)
    if problem is not None:
        raise problem


async def _build(config: GatewayConfig, plugin: PluginConfig, tracing: Any) -> _Built:
    manager = config.discovered.manager
    found = plugin.plugin.plugin

    def call(hook: str, **kwargs: Any) -> Any:
        return await_me_maybe(call_plugin_hook(manager, found, hook, **kwargs))

    sub = await call(
        "gateway_create_app",
        settings=plugin.settings,
        config_dir=str(config.dir),
        instance=plugin.name,
        config=config,
    )
    if sub is None and plugin.prefix is None:
        # A middleware-only plugin: an application of its own all the same, so its
        # resources (cleanup_ctx) and health checks have the usual home.
        sub = web.Application()
    if not isinstance(sub, web.Application):
        raise TypeError(f"gateway_create_app returned {sub!r}, not an aiohttp.web.Application")
    if tracing is not None:  # for the plugin's own client spans (docs/plugins.md)
        sub[TRACER_PROVIDER] = tracing.provider
    contributed = await call("gateway_health_checks", app=sub, settings=plugin.settings)
    checks = [
        MountedCheck(f"{plugin.name}:{check.name}", check, plugin.name)
        for check in contributed or []
    ]
    middlewares = (
        await call("gateway_middlewares", app=sub, settings=plugin.settings, config=config) or []
    )
    for middleware in middlewares:
        if not isinstance(middleware, Middleware):
            raise TypeError(f"gateway_middlewares returned {middleware!r}, not a Middleware")
    return _Built(sub, checks, list(middlewares))


def _add_admin_routes(root: web.Application, name: str, sub: web.Application) -> None:
    """A plugin's ADMIN_ROUTES under /_gateway/plugins/<instance>/ on the root: the
    /_gateway scope's middlewares (auth's admin rule) run on them as on the host's own."""
    for route in sub.get(ADMIN_ROUTES, []):
        path = route.path if route.path.startswith("/") else f"/{route.path}"
        root.router.add_route(
            route.method, f"/_gateway/plugins/{name}{path}", route.handler, **route.kwargs
        )


def _mount(root: web.Application, plugin: PluginConfig, sub: web.Application) -> None:
    assert plugin.prefix is not None
    sub[PLUGIN_NAME] = plugin.name
    sub[ACCESS_NAMES] = (plugin.name, plugin.plugin_name, plugin.label)
    _answer_bare_prefix(sub)
    first_new = len(root.on_startup)
    root.add_subapp(plugin.prefix, sub)
    root[MOUNTED_APPS][plugin.name] = sub
    # add_subapp appends the sub-app's start-up to the root's; wrap it so a failure there
    # (a cleanup_ctx that cannot connect, say) names the plugin.
    for index in range(first_new, len(root.on_startup)):
        root.on_startup[index] = _naming_failures(plugin.name, root.on_startup[index])


def _answer_bare_prefix(sub: web.Application) -> None:
    """Serve the routes at ``/`` at the empty path too, so ``/notes`` answers like ``/notes/``.

    aiohttp matches ``/notes/`` but not ``/notes`` against a sub-app route ``/``; a redirect
    would break clients that POST to ``/notes`` without following it.
    """
    if any(resource.canonical == "" for resource in sub.router.resources()):
        return
    for route in list(sub.router.routes()):
        if route.resource is not None and route.resource.canonical == "/":
            # With the route's own answer to Expect (gateway/expect.py), as at "/".
            sub.router.add_route(
                route.method, "", route.handler, expect_handler=route.handle_expect_header
            )


def _alongside(name: str, sub: web.Application) -> Any:
    """Run an application that is not mounted (a middleware-only plugin's) with the root's:
    its start-up before the root serves, its shutdown and cleanup when the root stops."""

    async def lifetime(root: web.Application) -> Any:
        sub.freeze()
        try:
            await sub.startup()
        except Exception as exc:
            raise PluginSetupError(name, exc) from exc
        yield
        await sub.shutdown()
        await sub.cleanup()

    return lifetime


def _traced(tracing: Any) -> Any:
    """Tracing's instrumentations on while the application runs; waiting spans exported at
    its end, after every plugin has stopped."""

    async def lifetime(root: web.Application) -> Any:
        tracing.start()
        try:
            yield
        finally:
            await tracing.stop()

    return lifetime


def _naming_failures(name: str, handler: Any) -> Any:
    async def start(app: web.Application) -> None:
        try:
            await handler(app)
        except Exception as exc:
            raise PluginSetupError(name, exc) from exc

    return start


def _describe(plugin: PluginConfig) -> dict[str, Any]:
    found = plugin.plugin
    if plugin.settings is not None:
        settings: Any = plugin.settings.model_dump(mode="json")
    else:
        settings = plugin.own_settings
    return {
        "name": plugin.name,
        "plugin": plugin.plugin_name,  # the same as name but for a named instance
        "label": plugin.label,  # "billing (proxy)": how gateway plugins and the dashboard show it
        "version": found.version,
        "source": found.source,
        "description": found.info.description if found.info else "",
        "enabled": plugin.enabled,
        "prefix": plugin.prefix,
        "hooks": found.hooks,
        "middlewares": [],
        "status": "failed" if found.error else ("enabled" if plugin.enabled else "disabled"),
        "error": found.error,
        "settings": redact(settings),
    }


async def _plugins_view(request: web.Request) -> web.Response:
    app = request.app
    # Each instance's checks, run now: its live state (a proxy's targets) beside its settings.
    mounted = app[HEALTH_CHECKS]
    rows = with_health(app[PLUGIN_REPORT], mounted, await run_checks(mounted, CHECK_LIMIT))
    body = {"plugins": rows, "middlewares": app[MIDDLEWARE_CHAINS]}
    # The running configuration, as the dashboard's status: never kept by a cache.
    return json_response(body, headers={"Cache-Control": "no-store"})


async def _mark_started(app: web.Application) -> None:
    app[STATE].loop = asyncio.get_running_loop()
    app[STATE].started = True
    # What this process serves, once per worker: aiohttp's banner says where, not what.
    mounted = [row for row in app[PLUGIN_REPORT] if row.get("status") == "mounted"]
    for row in mounted:
        log.info(
            "mounted %s at %s (%s%s)",
            row["label"],
            row["prefix"],
            row["source"],
            f" {row['version']}" if row["version"] else "",
        )
    for row in app[PLUGIN_REPORT]:
        if row.get("status") == "active":  # middleware-only: where its middlewares apply
            placed: list[dict[str, Any]] = row.get("middlewares", [])  # type: ignore[assignment]
            scopes = sorted({p for m in placed for p in m["applies_to"]})
            log.info("active %s: middlewares on %s", row["name"], ", ".join(scopes) or "nothing")
    if not mounted:
        log.info("no plugin mounted: only the gateway's own routes answer")


async def _mark_draining(app: web.Application) -> None:
    if app[STATE].retired:  # a reload's previous tree: nothing drains (gateway/reload.py)
        return
    app[STATE].draining = True
    if not app[STATE].replaced:
        log.info("draining: readiness now fails; in-flight requests may finish")
