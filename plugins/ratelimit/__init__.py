"""Rate limits for every plugin's routes, per caller, in memory or shared through Redis (a
middleware-only plugin). See the README's "ratelimit" section."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

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
from gateway_plugins.ratelimit.limiter import RequestCounter, open_storage
from gateway_plugins.ratelimit.middleware import RateLimit
from gateway_plugins.ratelimit.openapi import describe
from gateway_plugins.ratelimit.settings import RateLimitSettings

COUNTER = web.AppKey("ratelimit.counter", RequestCounter)
# The instance's name ([plugins.NAME]), for the labels of its decision counts.
INSTANCE = web.AppKey("ratelimit.instance", str)


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="ratelimit",
        settings=RateLimitSettings,
        description="Rate limits per API key or client address, in memory or on Redis.",
    )


@hookimpl
def gateway_create_app(settings: RateLimitSettings, instance: str) -> web.Application:
    app = web.Application()
    app[INSTANCE] = instance
    # Made here, opened lazily by `limits` on first use: start-up never waits for Redis, and
    # a Redis that is down at start is the same outage as one that goes down later.
    app[COUNTER] = RequestCounter(settings, open_storage(settings))
    app.cleanup_ctx.append(_storage_lifetime)
    return app


async def _storage_lifetime(app: web.Application) -> AsyncIterator[None]:
    """Close Redis at the end (memory counters drop expired callers as they count)."""
    yield
    bridge = getattr(app[COUNTER].storage, "bridge", None)
    client = getattr(bridge, "storage", None)
    if client is not None and hasattr(client, "aclose"):
        await client.aclose()


@hookimpl
def gateway_middlewares(
    app: web.Application, settings: RateLimitSettings, config: GatewayConfig
) -> list[Middleware]:
    return RateLimit(
        settings,
        app[COUNTER],
        config.scopes(),
        ipv6_prefix=config.gateway.ipv6_prefix,
        instance=app[INSTANCE],
    ).middlewares()


@hookimpl
def gateway_openapi_extend(
    routes: list[OpenAPIRoute], settings: RateLimitSettings, config: GatewayConfig
) -> OpenAPIExtension:
    return describe(routes, settings, config.scopes())


@hookimpl
def gateway_health_checks(app: web.Application) -> list[HealthCheck]:
    counter = app[COUNTER]

    async def storage() -> CheckResult:
        # A store the gateway can serve without is a warning, never a failed readiness.
        # /health is public: it names the kind of storage, never its address or the error
        # (which can quote the address); the log has both, once per outage.
        kind = "this process's memory" if counter.count_rate is not None else "Redis"
        if await counter.probe():
            return CheckResult("pass", f"counting in {kind}")
        return CheckResult(
            "warn",
            f"{kind} does not answer (the log says why); requests are let through or refused "
            "as on_storage_error says",
        )

    # Not required: a probe that runs past the check's timeout (a black-holed Redis) is a
    # warning too, never a failed readiness.
    return [HealthCheck("storage", storage, component_type="datastore", required=False)]
