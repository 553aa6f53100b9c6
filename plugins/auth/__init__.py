"""API keys and access rules for every plugin's routes (a middleware-only plugin).

Keys are sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; the config holds only
their SHA-256 hashes. Rules say which methods on which plugins or prefixes are public and which
need which scope. See the README's "auth" section.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from gateway import (
    GatewayConfig,
    Middleware,
    OpenAPIExtension,
    OpenAPIRoute,
    PluginInfo,
    hookimpl,
)
from gateway_plugins.auth import cli
from gateway_plugins.auth.middleware import Guard
from gateway_plugins.auth.openapi import describe
from gateway_plugins.auth.rules import unknown_names
from gateway_plugins.auth.settings import AuthSettings


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="auth",
        settings=AuthSettings,
        description="API keys (stored as hashes) and per-plugin access rules.",
    )


@hookimpl
def gateway_middlewares(
    app: web.Application, settings: AuthSettings, config: GatewayConfig
) -> list[Middleware]:
    if "rules" in settings.model_fields_set:
        unknown = unknown_names(settings.rules, config.scopes())
        if unknown:
            raise ValueError(
                f"{'; '.join(unknown)} names no mounted plugin "
                f"(mounted: {', '.join(sorted(config.scopes()))})"
            )
    guard = Guard(settings, config.scopes(), ipv6_prefix=config.gateway.ipv6_prefix)
    app.cleanup_ctx.append(_failure_counts(guard))
    return guard.middlewares()


def _failure_counts(guard: Guard) -> Any:
    """The wrong-key counts' connection (Redis, when configured), open while the app runs."""

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        await guard.failures.start()
        yield
        await guard.failures.close()

    return lifetime


@hookimpl
def gateway_openapi_extend(routes: list[OpenAPIRoute], settings: AuthSettings) -> OpenAPIExtension:
    return describe(routes, settings)


@hookimpl
def gateway_register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    cli.register(subparsers)
