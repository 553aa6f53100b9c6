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
  ``gateway_openapi``, ``gateway_openapi_extend``) are called on one plugin at a time, with
  that plugin's own settings and sub-application.
  *Shared* hooks (``gateway_register_commands``) are called once, on every loaded plugin.
- A hook name the host does not know is an error at load time (pluggy's ``check_pending``), so
  a misspelt hook fails loudly instead of silently never running.

New hooks (OpenAPI fragments, middlewares, ...) are added here as new functions; a plugin that
does not implement them is unaffected.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from aiohttp import web
    from pydantic import BaseModel

    from gateway.health import HealthCheck
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
    shared hooks only and is never mounted.
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
    """


@hookspec
def gateway_register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add sub-commands to the ``gateway`` command line (shared: called on every plugin).

    Add a parser with ``subparsers.add_parser("notes", help=...)`` and give it a handler with
    ``parser.set_defaults(handler=run)``. The handler is called as ``run(args, config)`` where
    ``config`` is the loaded, validated :class:`gateway.config.GatewayConfig` (read from
    ``--config``, ``GATEWAY_CONFIG`` or ``./plugins.toml``); it may be ``async def`` and returns
    the process exit code (``None`` means 0).
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
    routes: list[OpenAPIRoute], settings: BaseModel
) -> OpenAPIExtension | None:
    """Add what this plugin's middlewares do to requests to the OpenAPI document (per plugin).

    Called on every enabled plugin, mounted or not, after every plugin's paths are placed:
    ``routes`` lists each described operation (:class:`gateway.openapi.OpenAPIRoute`: method,
    full path template, serving plugin and prefix). Return a
    :class:`gateway.openapi.OpenAPIExtension`: ``components`` merged into the document's (for
    example ``{"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}``), and
    ``operations`` mapping some of those routes to an
    :class:`gateway.openapi.OperationExtension` (``security`` requirements, extra
    ``responses`` such as 401, 403 or 429, extra header ``parameters``). A status the operation
    already describes keeps its description; when several plugins set ``security`` on one
    operation, every plugin's requirement must hold. Return None to add nothing.
    """
