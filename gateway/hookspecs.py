"""The plugin contract: every hook a gateway plugin may implement.

A plugin is a module (or any object) with functions decorated by ``@hookimpl``::

    from gateway import hookimpl, PluginInfo

    @hookimpl
    def gateway_plugin_info():
        return PluginInfo(name="hello", default_prefix="/hello")

    @hookimpl
    def gateway_create_app(settings):
        app = web.Application()
        app.router.add_get("/", hello)
        return app

Rules that hold for every hook:

- Arguments are passed by keyword. A hookimpl names only the arguments it needs, in any order,
  so adding an argument to a hook later does not break existing plugins. Default values in a
  hookimpl's signature are never used by pluggy: do not rely on them.
- Any hookimpl may be ``async def``; the host awaits what it returns. The one exception is
  ``gateway_plugin_info``, a declaration read while the config is validated, before any event
  loop runs.
- *Per-plugin* hooks (``gateway_plugin_info``, ``gateway_create_app``, ``gateway_health_checks``,
  ``gateway_middlewares``, ``gateway_openapi``, ``gateway_openapi_extend``) are called on one
  plugin at a time, with that plugin's own settings and application.
  *Shared* hooks (``gateway_register_commands``) are called once, on every loaded plugin.
- A hook name the host does not know is an error at load time (pluggy's ``check_pending``), so
  a misspelt hook fails loudly instead of silently never running.

- The per-plugin hooks that build (``gateway_create_app``, ``gateway_health_checks``,
  ``gateway_middlewares``) run wherever the gateway is built: at start-up of ``gateway serve``
  and of each worker (so again after every SIGHUP reload), and in ``gateway check`` and
  ``gateway plugins``, which build every enabled plugin without starting it. Keep them free of
  I/O; open connections in ``cleanup_ctx``.

Per-request state that middlewares and handlers share, through typed keys of ``gateway``:

- ``request[gateway.REQUEST_ID]``: the request's id (also on the response as ``X-Request-ID``).
- ``gateway.identity_of(request)``: the :class:`gateway.Identity` an authentication
  middleware established (``name``, ``scopes``, ``provider``), or ``None`` for an anonymous
  request; the same as ``request.get(gateway.IDENTITY)``, without the KeyError that a missing
  key costs ``Mapping.get`` on every anonymous request. An authentication middleware sets it
  with ``request[gateway.IDENTITY] = Identity(...)``. Any plugin may establish it, so rate
  limiting and handlers work with whichever provider (API keys, JWT, mTLS headers from a
  proxy) the operator enabled.
- ``gateway.client_address(request)``: the client's address; behind a proxy listed in
  ``[gateway] trusted_proxies``, the forwarded one (``request.remote``, ``request.scheme`` and
  ``request.host`` say the same for the handler).

New hooks are added here as new functions; a plugin that does not implement them is unaffected.
docs/plugins.md is the reference for authors (when each hook runs, examples); a test keeps it in
step with this file.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from aiohttp import web
    from pydantic import BaseModel

    from gateway.config import GatewayConfig
    from gateway.health import HealthCheck
    from gateway.middleware import Middleware
    from gateway.openapi import OpenAPIExtension, OpenAPIRoute
    from gateway.plugins import PluginInfo

hookspec = pluggy.HookspecMarker("gateway")


@hookspec(firstresult=True)
def gateway_plugin_info() -> PluginInfo:
    """Declare the plugin: its name, default URL prefix and settings model (per plugin).

    Return a :class:`gateway.PluginInfo`. ``name`` is the ``[plugins.NAME]`` table that
    configures the plugin; keep it equal to the entry-point or module name so that an import
    failure is reported under the same name. ``settings`` is a pydantic model (subclass
    :class:`gateway.PluginSettings`) that validates the table's own keys; ``enabled`` and
    ``prefix`` are the host's and never reach it. A plugin without this hook is loaded for its
    shared hooks only and is never mounted. ``default_prefix=None`` declares a plugin that is
    not mounted unless the operator gives it a ``prefix``: one that only contributes
    middlewares (``gateway_middlewares``).
    """


@hookspec(firstresult=True)
def gateway_create_app(settings: BaseModel, config_dir: str) -> web.Application:
    """Build the plugin's own ``aiohttp.web.Application`` from its validated settings (per plugin).

    ``settings`` is an instance of the model named in ``PluginInfo.settings``; ``config_dir`` is
    the folder of plugins.toml, against which relative paths in settings are resolved. The host
    mounts the returned application with ``add_subapp`` under the configured prefix; a route
    registered at ``"/"`` also answers the bare prefix (``/notes`` as well as ``/notes/``), for
    every method, with no redirect.

    Open resources (engines, client sessions, caches) in the sub-application's ``cleanup_ctx``
    so they are opened at start-up and closed at shutdown, and keep them under typed
    ``web.AppKey``s. Raising here, or in a ``cleanup_ctx`` before its ``yield``, stops the
    gateway's start with the plugin's name and the exception's message.

    A plugin that has no prefix (middleware-only) may still return an application: it is not
    mounted, but its ``cleanup_ctx``, ``on_startup`` and ``on_shutdown`` run with the gateway's,
    so it is where such a plugin opens and closes what its middlewares use. Without this hook
    such a plugin gets an empty application of its own.
    """


@hookspec(firstresult=True)
def gateway_health_checks(app: web.Application, settings: BaseModel) -> list[HealthCheck]:
    """Contribute named async health checks for this plugin (per plugin).

    ``app`` is the application this plugin's ``gateway_create_app`` returned, so a check can
    read the resources kept under its ``AppKey``s at call time. Return a list of
    :class:`gateway.HealthCheck`; a check named ``"database"`` in the plugin ``notes`` is
    reported as ``notes:database``. Each check runs concurrently with the others, under its own
    timeout, on every ``/health`` and ``/health/ready`` request; one that raises or times out
    reports ``fail``.

    Declare each check's kind with ``HealthCheck(required=...)``: ``True`` (the default) for
    what this instance cannot serve without, whose ``fail`` fails readiness; ``False`` for a
    dependency it can serve without (a shared store, an upstream), whose ``fail`` is reported
    as ``warn`` and never takes the instance out of its load balancer. Checks run on every
    probe: keep them cheap, and never spend an upstream's quota in one.
    """


@hookspec(firstresult=True)
def gateway_middlewares(
    app: web.Application, settings: BaseModel, config: GatewayConfig
) -> list[Middleware]:
    """Contribute middlewares that act on requests to other plugins (per plugin).

    Return a list of :class:`gateway.Middleware` (``name``, ``handler``, ``priority``). Each
    ``handler`` is an aiohttp-style middleware, ``async def handler(request, handler)``, called
    for every request to a scope it applies to; it returns ``await handler(request)``, its own
    response, or raises :class:`gateway.ProblemError`. The ``handler`` it is given never raises
    an error: a 404, a 500 or another middleware's 401 reaches it as a problem+json response,
    which it may decorate (CORS and RateLimit headers do).

    ``app`` is the plugin's own application (see ``gateway_create_app``): keep what the
    middleware needs under its ``AppKey``s and open it in its ``cleanup_ctx``. ``config`` is
    the whole validated :class:`gateway.config.GatewayConfig`; ``config.scopes()`` maps every
    plugin name and prefix a middleware can apply to, so a plugin can check names in its own
    settings (raise ``ValueError`` naming the setting: ``gateway check`` reports it).
    :func:`gateway.mounted_plugin` tells a middleware which plugin a request is for, and
    ``request.app`` is the application that will answer it (the plugin's own, or the root for
    the gateway's own paths); ``request.config_dict`` reaches the root's keys from either.

    **Scope** is the operator's: ``apply_to`` in the plugin's table lists plugin names or
    prefixes (default: every mounted plugin and the gateway's own ``/_gateway`` and
    ``/metrics``), ``skip`` removes some; ``gateway check`` rejects an entry that matches
    nothing mounted. A request to a prefix no middleware applies to pays nothing.

    **Order**: higher ``priority`` runs first (outermost), ties broken by plugin name, then by
    the order of this list. Use the stages of :class:`gateway.Priority`: ``PREFLIGHT`` (2000,
    CORS), ``AUTHENTICATION`` (1250, sets ``request[gateway.IDENTITY]``), ``AUTHORIZATION``
    (950), ``RATE_LIMIT`` (910), ``DEFAULT`` (800, anything that reads the identity). The
    operator's ``priority = N`` in the plugin's table gives every middleware of the plugin
    priority N. A middleware that refuses or counts requests lets CORS preflights through
    (:func:`gateway.is_preflight`) whatever its place.

    Example, a plugin that stamps every answer::

        @hookimpl
        def gateway_middlewares(settings):
            async def stamp(request, handler):
                response = await handler(request)
                response.headers["X-Served-By"] = settings.name
                return response

            return [Middleware("stamp", stamp)]

    A response already prepared (a WebSocket) has sent its headers: check
    ``response.prepared`` before changing them.
    """


@hookspec
def gateway_register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add sub-commands to the ``gateway`` command line (shared: called on every plugin).

    Add a parser with ``subparsers.add_parser("notes", help=...)`` and give it a handler with
    ``parser.set_defaults(handler=run)``. The handler is called as ``run(args, config)`` where
    ``config`` is the loaded, validated :class:`gateway.config.GatewayConfig` (read from
    ``--config``, ``GATEWAY_CONFIG`` or ``./plugins.toml``); it may be ``async def`` and returns
    the process exit code (``None`` means 0). A command that needs no config (``gateway auth
    new-key`` makes a key anywhere) sets ``parser.set_defaults(needs_config=False)``: it then
    runs even where no valid config is found, and ``config`` is ``None`` there. The host adds
    ``--config`` to every command a plugin registers. Runs on every CLI call, before the
    arguments are parsed; never while serving.
    """


@hookspec(firstresult=True)
def gateway_openapi(app: web.Application, settings: BaseModel) -> dict[str, Any] | None:
    """Describe this plugin's own sub-application as an OpenAPI 3.1 fragment (per plugin).

    Called after ``gateway_create_app`` and before start-up (``gateway openapi`` never starts
    the gateway), so build it from ``settings`` and the models that validate requests, not
    from resources opened in ``cleanup_ctx``. Return ``{"paths": {...}, "components": {...}}``:
    paths are relative to the mount (``"/"`` is the bare prefix, ``/notes``; ``"/{note_id}"``),
    components are the plugin's own and are renamed ``plugin.Name`` in the document (``$ref``s
    and links' ``operationId``s follow; ``operationId``s become ``plugin.id``). Refer to the
    host's shared ``#/components/schemas/Problem`` and ``#/components/headers/Retry-After``
    as they are; build them with :mod:`gateway.openapi`'s ``problem_response``,
    ``model_schemas`` and ``query_parameters``. The host places the paths under the configured
    prefix and adds ``X-Request-ID`` and 500 to every operation. A route the fragment leaves
    out (or every route, when the plugin has no such hook or returns None) is described
    minimally, flagged ``x-gateway-described: false``; a path the app does not serve is dropped.
    """


@hookspec(firstresult=True)
def gateway_openapi_extend(
    routes: list[OpenAPIRoute], settings: BaseModel, config: GatewayConfig
) -> OpenAPIExtension | None:
    """Add what this plugin's middlewares do to requests to the OpenAPI document (per plugin).

    Called on every enabled plugin, mounted or not, after every plugin's paths are placed:
    ``routes`` lists each described operation (:class:`gateway.openapi.OpenAPIRoute`: method,
    full path template, serving plugin, prefix, and the labels of the middlewares that run on
    it in order, so a plugin describes itself where its own middlewares run); ``settings`` is
    the plugin's own, ``config`` the whole validated config (``config.scopes()`` resolves the
    names an operator may use for a scope). Return a
    :class:`gateway.openapi.OpenAPIExtension`: ``components`` merged into the document's (for
    example ``{"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}``), and
    ``operations`` mapping some of those routes to an
    :class:`gateway.openapi.OperationExtension` (``security`` requirements, extra
    ``responses`` such as 401, 403 or 429, extra header ``parameters``). A status the operation
    already describes keeps its description; when several plugins set ``security`` on one
    operation, every plugin's requirement must hold. Return None to add nothing.
    """
