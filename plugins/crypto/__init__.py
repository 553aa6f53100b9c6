"""crypto: a CoinGecko v3 proxy cached through the gateway's own cache machinery (the
``gateway.cache_*`` modules), with coalescing, stale-if-error and rate-limit respect, plus live
prices over WebSocket. See docs/crypto.md.
"""

from typing import Any

from aiohttp import web

from gateway import (
    GatewayConfig,
    HealthCheck,
    OpenAPIExtension,
    OpenAPIRoute,
    PluginInfo,
    hookimpl,
    purge_operations,
)
from gateway_plugins.crypto.app import build_app
from gateway_plugins.crypto.health import health_checks
from gateway_plugins.crypto.openapi import describe
from gateway_plugins.crypto.settings import CryptoSettings


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="crypto",
        default_prefix="/v1/crypto",
        settings=CryptoSettings,
        description="CoinGecko v3 proxy: cached, coalesced, stale-if-error, rate-limit aware.",
    )


@hookimpl
def gateway_create_app(settings: CryptoSettings) -> web.Application:
    return build_app(settings)


@hookimpl
def gateway_health_checks(app: web.Application) -> list[HealthCheck]:
    return health_checks(app)


@hookimpl
def gateway_openapi() -> dict[str, Any]:
    return describe()


@hookimpl
def gateway_openapi_extend(
    routes: list[OpenAPIRoute], settings: CryptoSettings, config: GatewayConfig
) -> OpenAPIExtension:
    # Its purge route, under /_gateway (app.py): the instance's, whose settings these are.
    return OpenAPIExtension(
        operations=purge_operations(
            routes,
            config.instance_of(settings, "crypto"),
            "A stored CoinGecko path and query (/simple/price?ids=bitcoin&vs_currencies=usd)",
        )
    )
