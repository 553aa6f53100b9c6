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
- *Per-plugin* hooks (``gateway_plugin_info``, ``gateway_create_app``, ``gateway_health_checks``)
  are called on one plugin at a time, with that plugin's own settings and sub-application.
  *Shared* hooks (``gateway_register_commands``) are called once, on every loaded plugin.
- A hook name the host does not know is an error at load time (pluggy's ``check_pending``), so
  a misspelt hook fails loudly instead of silently never running.

New hooks (OpenAPI fragments, middlewares, ...) are added here as new functions; a plugin that
does not implement them is unaffected. docs/plugins.md is the reference for authors (when each
hook runs, examples); a test keeps it in step with this file.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from aiohttp import web
    from pydantic import BaseModel

    from gateway.health import HealthCheck
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
    the process exit code (``None`` means 0). The host adds ``--config`` to every command a
    plugin registers. Runs on every CLI call, before the arguments are parsed; never while
    serving.
    """
