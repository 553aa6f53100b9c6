"""A shared HTTP cache (RFC 9111) for the routes of any plugin or proxy instance (a
middleware-only plugin, several instances allowed). The machinery is the host's
(gateway.HttpCache and its stores): this plugin places it by scope and settings.
See docs/cache.md."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gateway import (
    ADMIN_ROUTES,
    CheckResult,
    GatewayConfig,
    HealthCheck,
    HttpCache,
    Middleware,
    OpenAPIExtension,
    OpenAPIRoute,
    PluginInfo,
    hookimpl,
    open_cache_store,
    purge_routes,
)
from gateway_plugins.cache.metrics import CacheMetrics
from gateway_plugins.cache.middleware import CacheMiddleware
from gateway_plugins.cache.openapi import describe
from gateway_plugins.cache.settings import CacheSettings

CACHE = web.AppKey("cache.cache", HttpCache)
METRICS = web.AppKey("cache.metrics", CacheMetrics)
INSTANCE = web.AppKey("cache.instance", str)  # the [plugins.NAME] table's name


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="cache",
        settings=CacheSettings,
        description="A shared HTTP cache (RFC 9111) in memory or on Redis, per plugin or prefix.",
    )


@hookimpl
def gateway_create_app(settings: CacheSettings, instance: str) -> web.Application:
    app = web.Application()
    app[INSTANCE] = instance
    store = open_cache_store(settings.storage, settings.namespace, settings.max_memory)
    cache = HttpCache(
        store,
        name=settings.name,
        max_size=settings.max_size,
        hold_for=settings.fill_hold,
        wait_for=settings.fill_wait,
    )
    app[CACHE] = cache
    app[ADMIN_ROUTES] = purge_routes(cache.purge)
    app.cleanup_ctx.append(_store_lifetime)
    return app


async def _store_lifetime(app: web.Application) -> AsyncIterator[None]:
    cache = app[CACHE]
    await cache.store.start()
    yield
    await cache.close()
    await cache.store.close()


@hookimpl
def gateway_middlewares(
    app: web.Application, settings: CacheSettings, config: GatewayConfig
) -> list[Middleware]:
    cache = app[CACHE]
    # The instance's name (its [plugins.NAME] table) labels its metrics: the table whose
    # validated settings these are.
    if config.gateway.metrics:
        # Counted only for an operator who scrapes ([gateway] metrics), as the host's own
        # request metrics are: every hit would pay for it otherwise.
        metrics = CacheMetrics(app[INSTANCE], cache.store)
        app[METRICS] = metrics
        cache.events = metrics
    return CacheMiddleware(settings, cache, config.scopes()).middlewares()


@hookimpl
def gateway_openapi_extend(
    routes: list[OpenAPIRoute], settings: CacheSettings, config: GatewayConfig
) -> OpenAPIExtension:
    # This hook is given no application, so not the name gateway_create_app was told.
    return describe(routes, config.instance_of(settings, "cache"))


@hookimpl
def gateway_health_checks(app: web.Application) -> list[HealthCheck]:
    cache = app[CACHE]

    async def storage() -> CheckResult:
        # Public: names the kind of store, never its address.
        if cache.store.healthy:
            return CheckResult("pass", f"storing in {cache.store.kind}")
        return CheckResult(
            "warn",
            "Redis does not answer (the log says why); this process caches in its own memory "
            "meanwhile",
        )

    return [HealthCheck("storage", storage, component_type="datastore", required=False)]
