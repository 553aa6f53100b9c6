"""The CORS middleware (Fetch standard, "CORS protocol").

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered
here, for any path in scope, before authentication and rate limiting run (they let preflights
through wherever an operator placed them). Other requests from a listed origin go on and their
answer, errors and streamed answers included, gets ``Access-Control-Allow-Origin`` (through
``gateway.response_fields``, so whoever prepares the answer); an origin that is not listed
gets no ``Access-Control-Allow-*`` at all, so the browser withholds the answer from the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from gateway import (
    Handler,
    Middleware,
    Priority,
    ProblemError,
    is_preflight,
    request_scope,
    response_fields,
    scopes_named,
)
from gateway_plugins.cors.settings import CorsPolicy, CorsSettings

# Always allowed by browsers without being listed (Fetch: CORS-safelisted request headers).
_SAFELISTED = {"accept", "accept-language", "content-language", "content-type", "range"}


@dataclass(frozen=True)
class CompiledCorsPolicy:
    any_origin: bool
    origins: frozenset[str]
    methods: frozenset[str]
    headers: frozenset[str]
    allow_methods: str
    allow_headers: str
    expose_headers: str
    credentials: bool
    max_age: str

    @classmethod
    def of(cls, policy: CorsPolicy) -> CompiledCorsPolicy:
        return cls(
            any_origin="*" in policy.origins,
            origins=frozenset(policy.origins),
            methods=frozenset(m.upper() for m in policy.methods),
            headers=frozenset(h.lower() for h in policy.headers),
            allow_methods=", ".join(m.upper() for m in policy.methods),
            allow_headers=", ".join(policy.headers),
            expose_headers=", ".join(policy.expose_headers),
            credentials=policy.credentials,
            max_age=str(policy.max_age),
        )

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin.lower() in self.origins

    def origin_fields(self, origin: str) -> dict[str, str]:
        # A listed origin is echoed (with Vary) whenever credentials or a list are in play;
        # "*" only when any origin may read and no credentials are sent.
        fields = {"Vary": "Origin"}
        if self.any_origin and not self.credentials:
            fields["Access-Control-Allow-Origin"] = "*"
        else:
            fields["Access-Control-Allow-Origin"] = origin
        if self.credentials:
            fields["Access-Control-Allow-Credentials"] = "true"
        return fields


class Cors:
    def __init__(self, settings: CorsSettings, scopes: Mapping[str, str]) -> None:
        self.default = CompiledCorsPolicy.of(settings)
        named = scopes_named(settings.overrides, scopes, "overrides")
        self.overrides = {
            named[name]: CompiledCorsPolicy.of(policy)
            for name, policy in settings.overrides.items()
        }

    def policy_for(self, request: web.Request) -> CompiledCorsPolicy:
        if not self.overrides:
            return self.default
        return self.overrides.get(request_scope(request) or "", self.default)

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is None:
            # The answer to the same URL with an Origin carries CORS fields: a shared cache
            # must not serve this one to a cross-origin caller (issue 34, seen with Varnish).
            response_fields(request).add("Vary", "Origin")
            return await handler(request)
        policy = self.policy_for(request)
        if is_preflight(request):
            return self.preflight(request, origin, policy)
        # On the answer whoever prepares it (a handler that streams, too): response_fields.
        fields = response_fields(request)
        if policy.allows(origin):
            fields.update(policy.origin_fields(origin))
            if policy.expose_headers:
                fields["Access-Control-Expose-Headers"] = policy.expose_headers
        else:
            fields.add("Vary", "Origin")
        return await handler(request)

    def preflight(
        self, request: web.Request, origin: str, policy: CompiledCorsPolicy
    ) -> web.Response:
        method = request.headers["Access-Control-Request-Method"].strip().upper()
        asked = [
            h.strip().lower()
            for h in request.headers.get("Access-Control-Request-Headers", "").split(",")
            if h.strip()
        ]
        if not policy.allows(origin):
            raise ProblemError(
                403, f"Origin {origin!r} may not call this API.", headers={"Vary": "Origin"}
            )
        refused = [h for h in asked if h not in policy.headers and h not in _SAFELISTED]
        if method not in policy.methods or refused:
            what = f"method {method}" if method not in policy.methods else f"headers {refused}"
            raise ProblemError(
                403,
                f"Cross-origin requests may not use {what} here.",
                headers={"Vary": "Origin"},
            )
        headers = policy.origin_fields(origin)
        headers["Vary"] = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
        headers["Access-Control-Allow-Methods"] = policy.allow_methods
        if policy.allow_headers:
            headers["Access-Control-Allow-Headers"] = policy.allow_headers
        headers["Access-Control-Max-Age"] = policy.max_age
        return web.Response(status=204, headers=headers)

    def middlewares(self) -> list[Middleware]:
        return [Middleware("cors", self.handle, Priority.PREFLIGHT)]
