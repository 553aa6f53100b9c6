"""The middleware: a bearer JWT becomes the request's identity, or the request is refused.

Under the identity contract (docs/auth.md, "Identity providers side by side") it judges only
credentials of its kind: ``Authorization: Bearer`` with a JWS in compact form (three
dot-separated parts; the gateway's API keys hold no dot), and of those only the ones no other
jwt instance owns (by ``iss``). Everything else goes on untouched, and an identity an earlier
provider set stands.

The path of a token it has verified before is a dict lookup: no coroutine of its own, no
parsing, no signature.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable

from aiohttp import hdrs, web

from gateway import (
    IDENTITY,
    Handler,
    ProblemError,
    client_address,
    identity_of,
    is_preflight,
)
from gateway_plugins.jwt.cache import VerifiedTokens
from gateway_plugins.jwt.metrics import JwtMetrics
from gateway_plugins.jwt.verifier import TokenRefused, TokenVerifier

log = logging.getLogger("gateway_plugins.jwt")


class BearerTokens:
    def __init__(
        self,
        verifier: TokenVerifier,
        cache: VerifiedTokens,
        metrics: JwtMetrics | None,
        realm: str,
        cooldown: float,
    ) -> None:
        self.verifier = verifier
        self.cache = cache
        self.metrics = metrics
        self.realm = realm
        self.retry_after = str(max(1, round(cooldown)))

    def authenticate(self, request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        value = request.headers.get(hdrs.AUTHORIZATION)
        if value is None:  # most requests: public reads send none
            return handler(request)
        verdict = self.cache.entries.get(value)
        if verdict is not None and verdict.until > time.time():
            identity = verdict.identity
            if identity is not None:
                if identity_of(request) is None:  # an earlier provider's identity stands
                    request[IDENTITY] = identity
                if self.metrics is not None:
                    self.metrics.token("accepted", "cached")
            return handler(request)
        return self._judge(request, handler, value)

    async def _judge(
        self, request: web.Request, handler: Handler, value: str
    ) -> web.StreamResponse:
        scheme, _, credential = value.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or credential.count(".") != 2 or is_preflight(request):
            return await handler(request)  # not ours: an API key, another scheme, nothing
        try:
            verdict = await self.verifier.verify(credential)
        except TokenRefused as refused:
            if self.metrics is not None:
                self.metrics.token("refused", refused.reason)
            log.info(
                "jwt: refused a bearer token (%s) from %s: %s %s",
                refused.reason,
                client_address(request),
                request.method,
                request.path,
            )
            raise self._problem(refused) from None
        self.cache.remember(value, verdict)
        identity = verdict.identity
        if identity is not None:
            if identity_of(request) is None:
                request[IDENTITY] = identity
            if self.metrics is not None:
                self.metrics.token("accepted", "verified")
        return await handler(request)

    def _problem(self, refused: TokenRefused) -> ProblemError:
        if refused.status == 503:
            return ProblemError(503, refused.description, headers={"Retry-After": self.retry_after})
        # RFC 6750, section 3: the description is a quoted-string of plain characters.
        description = "".join(c for c in refused.description if c not in '"\\' and c >= " ")
        challenge = (
            f'Bearer realm="{self.realm}", error="invalid_token", error_description="{description}"'
        )
        return ProblemError(
            401,
            f"{refused.description}. Send a valid token as Authorization: Bearer <token>, or "
            "none for public routes.",
            headers={"WWW-Authenticate": challenge},
            reason=refused.reason,
        )
