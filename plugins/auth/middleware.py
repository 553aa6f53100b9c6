"""The two middlewares: who is calling (API keys), then may they (the rules).

Authentication runs at ``Priority.AUTHENTICATION``: a key sent as ``Authorization: Bearer`` or
``X-API-Key`` becomes ``request[gateway.IDENTITY]``; a wrong key is a 401 wherever it is sent.
Authorization runs later, at ``Priority.AUTHORIZATION``, so an identity another plugin
established in between (a JWT, an mTLS header) is judged by the same rules.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Mapping

from aiohttp import hdrs, web
from limits import parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from multidict import istr

from gateway import (
    IDENTITY,
    Middleware,
    Priority,
    ProblemError,
    client_address,
    identity_of,
    is_preflight,
)
from gateway.middleware import Handler
from gateway_plugins.auth.keyring import KeyRing
from gateway_plugins.auth.rules import RuleBook
from gateway_plugins.auth.settings import PUBLIC, AuthSettings

log = logging.getLogger("gateway_plugins.auth")

PROVIDER = "auth:api-key"
# As aiohttp.hdrs names headers: an istr is not case-folded again on every lookup.
X_API_KEY = istr("X-API-Key")


class Guard:
    def __init__(self, settings: AuthSettings, scopes: Mapping[str, str] | None = None) -> None:
        self.keys = KeyRing(settings.keys, PROVIDER)
        self.rules = RuleBook(settings.rules, scopes)
        self.realm = settings.realm
        self.read_bearer = settings.identity_header in ("authorization", "both")
        self.read_header = settings.identity_header in ("x-api-key", "both")
        # Failed attempts per client address, counted by `limits` in this process's memory.
        self.failures = parse_many(settings.max_failures)
        self.limiter = MovingWindowRateLimiter(storage_from_string("async+memory://"))

    def presented(self, request: web.Request) -> str | None:
        if self.read_header:
            key = request.headers.get(X_API_KEY)
            if key:
                return key.strip()
        if self.read_bearer:
            value = request.headers.get(hdrs.AUTHORIZATION)
            if not value:  # most requests: public reads send none
                return None
            scheme, _, credential = value.partition(" ")
            if scheme.lower() == "bearer" and credential.strip():
                return credential.strip()
        return None

    def challenge(self, error: str | None = None) -> dict[str, str]:
        extra = f', error="{error}"' if error else ""
        return {"WWW-Authenticate": f'Bearer realm="{self.realm}"{extra}'}

    # Both middlewares are plain functions returning the next handler's awaitable, as
    # gateway.middleware.compose's own run() is: a request they let through costs no coroutine
    # of their own. Their errors, raised when called, are answered as a coroutine's are: the
    # gateway calls every middleware inside the try that answers it.

    def authenticate(self, request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        # Without a key (most requests, and a browser's preflights) there is nothing to check,
        # and the request goes on as a preflight would: the preflight test only where a key
        # was sent.
        headers = request.headers
        if (not self.read_header or X_API_KEY not in headers) and (
            not self.read_bearer or hdrs.AUTHORIZATION not in headers
        ):
            return handler(request)
        key = self.presented(request)
        if key is None or is_preflight(request):
            return handler(request)
        return self._check_key(request, handler, key)

    async def _check_key(
        self, request: web.Request, handler: Handler, key: str
    ) -> web.StreamResponse:
        """A presented key: refused while its address is locked out, checked, and counted
        towards the lock-out when wrong (``max_failures``)."""
        address = client_address(request)
        for limit in self.failures:
            if not await self.limiter.test(limit, "auth-failures", address):
                stats = await self.limiter.get_window_stats(limit, "auth-failures", address)
                retry = max(1, int(stats.reset_time - time.time()) + 1)
                raise ProblemError(
                    429,
                    "Too many requests with a wrong API key from this address; wait before "
                    "trying again.",
                    headers={"Retry-After": str(retry)},
                )
        identity = self.keys.identify(key)
        if identity is None:
            for limit in self.failures:
                await self.limiter.hit(limit, "auth-failures", address)
            log.info("wrong API key from %s: %s %s", address, request.method, request.path)
            raise ProblemError(
                401,
                "The API key sent is not valid. Send a valid key as Authorization: Bearer <key> "
                "or X-API-Key: <key>, or send none for public routes.",
                headers=self.challenge("invalid_token"),
            )
        request[IDENTITY] = identity
        return await handler(request)

    def authorize(self, request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        required = self.rules.required(request)
        # A public request goes on whether or not it is a preflight: the preflight test only
        # for the requests that would otherwise be refused.
        if required == PUBLIC or is_preflight(request):
            return handler(request)
        identity = identity_of(request)
        if identity is None:
            raise ProblemError(
                401,
                f"{request.method} {request.path} needs an API key with scope {required!r}. "
                "Send it as Authorization: Bearer <key> or X-API-Key: <key>.",
                headers=self.challenge(),
                required_scope=required,
            )
        if not identity.allows(required):
            raise ProblemError(
                403,
                f"The key {identity.name!r} lacks scope {required!r}, which {request.method} "
                f"{request.path} needs.",
                required_scope=required,
            )
        return handler(request)

    def middlewares(self) -> list[Middleware]:
        return [
            Middleware("api-key", self.authenticate, Priority.AUTHENTICATION),
            Middleware("rules", self.authorize, Priority.AUTHORIZATION),
        ]
