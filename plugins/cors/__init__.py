"""CORS for every plugin's routes: preflights answered before anything can refuse them, and
the response fields a browser needs to let a page on another origin read the answer (a
middleware-only plugin). See the README's "cors" section.

A middleware of its own rather than aiohttp-cors: aiohttp-cors configures routes one by one
(``cors.add(route)``) inside one application, while this gateway needs one policy across
every mounted sub-application, their bare prefixes and 404s included, and a preflight
answered before authentication and rate limiting run.
"""

from __future__ import annotations

from aiohttp import web

from gateway import (
    GatewayConfig,
    Middleware,
    PluginInfo,
    hookimpl,
)
from gateway_plugins.cors.middleware import Cors
from gateway_plugins.cors.settings import CorsSettings


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="cors",
        settings=CorsSettings,
        description="CORS preflights and response fields, per plugin or prefix.",
    )


@hookimpl
def gateway_middlewares(
    app: web.Application, settings: CorsSettings, config: GatewayConfig
) -> list[Middleware]:
    return Cors(settings, config.scopes()).middlewares()
