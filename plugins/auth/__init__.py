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
from limits import parse_many

from gateway import (
    CheckResult,
    GatewayConfig,
    HealthCheck,
    Middleware,
    OpenAPIExtension,
    OpenAPIRoute,
    PluginInfo,
    hookimpl,
)
from gateway_plugins.auth import cli
from gateway_plugins.auth.failures import FailureCounts
from gateway_plugins.auth.middleware import Guard
from gateway_plugins.auth.openapi import describe
from gateway_plugins.auth.rules import unknown_names
from gateway_plugins.auth.settings import AuthSettings

FAILURES = web.AppKey("auth.failures", FailureCounts)
# The instance's name ([plugins.NAME]), for the labels of its decision counts.
INSTANCE = web.AppKey("auth.instance", str)


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="auth",
        settings=AuthSettings,
        description="API keys (stored as hashes) and per-plugin access rules.",
    )


@hookimpl
def gateway_create_app(settings: AuthSettings, instance: str) -> web.Application:
    app = web.Application()
    app[INSTANCE] = instance
    # The wrong-key counts, here rather than in the middlewares: /health reports their store.
    app[FAILURES] = FailureCounts(
        parse_many(settings.max_failures),
        settings.failures_storage,
        settings.key_prefix,
        settings.failures_storage_timeout,
    )
    app.cleanup_ctx.append(_failure_counts)
    return app


async def _failure_counts(app: web.Application) -> AsyncIterator[None]:
    """The wrong-key counts' connection (Redis, when configured), open while the app runs."""
    await app[FAILURES].start()
    yield
    await app[FAILURES].close()


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
    guard = Guard(
        settings,
        app[FAILURES],
        config.scopes(),
        ipv6_prefix=config.gateway.ipv6_prefix,
        instance=app[INSTANCE],
    )
    return guard.middlewares()


@hookimpl
def gateway_health_checks(app: web.Application) -> list[HealthCheck]:
    counts = app[FAILURES]

    async def failures_storage() -> CheckResult:
        # As ratelimit:storage: a store the gateway serves without is a warning, never a
        # failed readiness; /health is public, so it names the kind of store, never its
        # address or the error (the log has both, once per outage).
        kind = "Redis" if counts.shared else "this process's memory"
        if await counts.probe():
            return CheckResult("pass", f"counting wrong keys in {kind}")
        return CheckResult(
            "warn",
            f"{kind} does not answer (the log says why); wrong keys are counted in this "
            "process's memory meanwhile",
        )

    # Not required: a probe that runs past the check's timeout (a black-holed Redis) is a
    # warning too, never a failed readiness.
    return [
        HealthCheck(
            "failures_storage", failures_storage, component_type="datastore", required=False
        )
    ]


@hookimpl
def gateway_openapi_extend(routes: list[OpenAPIRoute], settings: AuthSettings) -> OpenAPIExtension:
    return describe(routes, settings)


@hookimpl
def gateway_register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    cli.register(subparsers)
