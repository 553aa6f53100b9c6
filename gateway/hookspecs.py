"""The plugin contract: every hook a gateway plugin may implement.

One function per hook, keyword arguments only, and a docstring saying in one paragraph what a
caller may rely on. docs/plugins.md is the long form (when each hook runs, each argument, an
example of each), kept in step with this file by tests/host/test_hook_reference.py. For every
hook: a hookimpl (``@gateway.hookimpl``) names only the arguments it needs, as pluggy passes
keywords and never a hookimpl's default values; any hookimpl may be ``async def`` except
``gateway_plugin_info`` and ``gateway_register_commands``; a ``@hookimpl`` whose name is no hook
here makes its plugin fail to load, and a function named like a hook without ``@hookimpl`` is
a warning. A hook added later is a new function here: plugins that do not implement it are
unaffected.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from aiohttp import web
    from pydantic import BaseModel

    from gateway.contract import (
        GatewayConfig,
        HealthCheck,
        Middleware,
        OpenAPIExtension,
        OpenAPIRoute,
        PluginInfo,
    )

hookspec = pluggy.HookspecMarker("gateway")


@hookspec(firstresult=True)
def gateway_plugin_info() -> PluginInfo:
    """Declare the plugin (per plugin, synchronous): return a :class:`gateway.PluginInfo` with
    the name of the ``[plugins.NAME]`` table that enables it, its default prefix (``None``: not
    mounted unless the operator gives one) and its settings model. It is read at discovery, on
    every CLI call and start-up, before any event loop runs. A plugin without it is loaded for
    its shared hooks only and never mounted; one whose call raises is listed as failed, by
    name, and cannot be enabled.
    """


@hookspec(firstresult=True)
def gateway_create_app(
    settings: BaseModel, config_dir: str, instance: str, config: GatewayConfig
) -> web.Application:
    """Return the plugin's own ``aiohttp.web.Application`` (per plugin), built from its
    validated ``settings``; relative paths in them resolve against ``config_dir``.
    ``instance`` is the name the operator enabled it under, the ``[plugins.NAME]`` table's
    (``billing`` for ``[plugins.billing]`` with ``plugin = "proxy"``; the plugin's own name for
    its default instance): the name the host gives it in health checks, metrics, logs and
    ``/_gateway/plugins``, for the labels of the plugin's own metrics and log lines. With
    ``config.read_only`` (``gateway check --connect``) its start-up must change no store. The host
    mounts it under the configured prefix, where a route at ``"/"`` also answers the bare
    prefix. It is called wherever the gateway is built (start-up of each process, each reload,
    ``gateway check``, ``gateway plugins``) and never per request, so it opens nothing: the
    application's ``cleanup_ctx`` does, at start-up. Raising stops the start with the plugin's
    name. A plugin with no prefix may return an application that is not mounted but whose
    ``cleanup_ctx`` runs with the gateway's.
    """


@hookspec(firstresult=True)
def gateway_health_checks(app: web.Application, settings: BaseModel) -> list[HealthCheck]:
    """Return the plugin's :class:`gateway.HealthCheck` list (per plugin), given the ``app``
    its ``gateway_create_app`` returned (read its keys when a check runs, not here). Each check
    runs on every ``/health`` and ``/health/ready`` request, concurrently with the others and
    under its own timeout, is reported as ``plugin:name``, and reports ``fail`` when it raises
    or times out; the failure of a ``required=False`` check is reported as ``warn`` and never
    fails readiness.
    """


@hookspec(firstresult=True)
def gateway_middlewares(
    app: web.Application, settings: BaseModel, config: GatewayConfig
) -> list[Middleware]:
    """Return the :class:`gateway.Middleware` list that acts on requests to other plugins (per
    plugin). Each ``handler(request, handler)`` runs per request on the scopes the operator
    chose (``apply_to``, ``skip``), higher ``priority`` outermost, inside the host's root
    middleware; the ``handler`` it wraps never raises (errors reach it as problem+json
    responses) unless the middleware says ``sees_answers=False``. ``app`` is the plugin's
    own application (what the middlewares use is opened in its ``cleanup_ctx``), ``config``
    the whole validated config; a ``ValueError`` raised here is reported by ``gateway check``
    under the plugin's name.
    """


@hookspec
def gateway_register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``gateway`` sub-commands with ``subparsers.add_parser`` (shared: called on every
    loaded plugin, enabled or not, on every CLI call before the arguments are parsed;
    synchronous). A parser's ``handler`` default is called as ``handler(args, config)`` and
    returns the exit code (``needs_config=False``: it also runs without a valid config, with
    ``config`` None); the host adds ``--config`` to every command. The hook may run more than
    once per CLI call, so it only registers. A plugin whose hook raises, or that adds a command
    the gateway or an earlier plugin has, is reported by name and all its commands are skipped.
    """


@hookspec(firstresult=True)
def gateway_openapi(app: web.Application, settings: BaseModel) -> dict[str, Any] | None:
    """Return the OpenAPI 3.1 fragment of the plugin's application, or ``None`` (per plugin):
    ``paths`` relative to the mount and the plugin's own ``components``. It is called before
    start-up, so it is built from ``settings`` and the request models, not from what
    ``cleanup_ctx`` opens. The host places the paths under the prefix, renames components
    ``plugin.Name`` (references follow), drops paths the application does not serve and
    describes minimally each served route the fragment leaves out.
    """


@hookspec(firstresult=True)
def gateway_openapi_extend(
    routes: list[OpenAPIRoute], settings: BaseModel, config: GatewayConfig
) -> OpenAPIExtension | None:
    """Return a :class:`gateway.openapi.OpenAPIExtension` saying what the plugin's middlewares
    do to the described ``routes`` (security schemes; per operation, security, responses and
    header parameters), or ``None`` (per plugin: every enabled plugin, mounted or not, after
    every plugin's paths are placed). Each route lists the middlewares that run on it, so a
    plugin describes itself where they run; a status an operation already describes keeps its
    description.
    """
