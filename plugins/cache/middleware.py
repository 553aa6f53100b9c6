"""The cache middleware: which policy a request's scope has, and the shared cache around it."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from gateway import CachePolicy, Handler, HttpCache, Middleware, request_scope, scopes_named
from gateway_plugins.cache.settings import CacheSettings, ScopePolicy


def policy_of(settings: CacheSettings, override: ScopePolicy | None = None) -> CachePolicy:
    def pick(name: str) -> object:
        value = getattr(override, name, None) if override is not None else None
        return getattr(settings, name) if value is None else value

    ttl = override.ttl if override is not None and override.ttl is not None else settings.ttl
    return CachePolicy(
        ttl=ttl,
        heuristic=float(pick("heuristic")),  # type: ignore[arg-type]
        heuristic_max=settings.heuristic_max,
        stale_while_revalidate=float(pick("stale_while_revalidate")),  # type: ignore[arg-type]
        stale_if_error=float(pick("stale_if_error")),  # type: ignore[arg-type]
        keep_validated=settings.keep_validated,
    )


class CacheMiddleware:
    def __init__(self, settings: CacheSettings, cache: HttpCache, scopes: Mapping[str, str]):
        self.cache = cache
        self.default = policy_of(settings)
        named = scopes_named(settings.overrides, scopes, "overrides")
        self.overrides = {
            named[name]: policy_of(settings, policy) for name, policy in settings.overrides.items()
        }

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        policy = (
            self.overrides.get(request_scope(request) or "", self.default)
            if self.overrides
            else self.default
        )
        # The common hit first, without a coroutine; then the long way (HttpCache.handle's two
        # halves, called apart).
        hit = self.cache.hit(request, policy)
        if hit is not None:
            return hit
        return await self.cache.miss(request, handler, policy)

    def middlewares(self) -> list[Middleware]:
        # Its fields are on the answers it makes (Age, Cache-Status): none to add to others.
        return [Middleware("cache", self.handle, adds_fields=False)]
