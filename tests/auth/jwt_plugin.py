"""A JWT identity plugin, written as a third-party author would write one against the identity
contract: it proves that its identities combine with the auth plugin's API keys.

It verifies ``Authorization: Bearer <jwt>`` (HS256, with a configured secret) at
``Priority.AUTHENTICATION`` and sets ``Identity(name=sub, scopes=scope.split(), provider="jwt")``.
Like every provider under the contract it judges only credentials of its own kind (a bearer
credential in JWS compact form: three dot-separated parts), so an API key sent as a bearer
passes it untouched, and it keeps an identity an earlier provider set. A token of its kind that
does not verify is its own 401, wherever it runs.

Load it as tests load plugins: ``gateway_app(config, plugins=[("jwt", jwt_plugin)])`` with a
``[plugins.jwt]`` table giving ``secret``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import jwt
from aiohttp import hdrs, web

from gateway import (
    IDENTITY,
    Identity,
    Middleware,
    PluginInfo,
    PluginSettings,
    Priority,
    ProblemError,
    hookimpl,
    identity_of,
)
from gateway.openapi import OpenAPIExtension, OpenAPIRoute, OperationExtension, problem_response

PROVIDER = "jwt"
ALGORITHM = "HS256"


class JwtSettings(PluginSettings):
    secret: str
    issuer: str = "https://issuer.test"


def issue(secret: str, subject: str, scopes: list[str], **claims: object) -> str:
    """A token as the identity provider would sign it (valid for five minutes by default)."""
    payload = {
        "sub": subject,
        "scope": " ".join(scopes),
        "iss": "https://issuer.test",
        "exp": int(time.time()) + 300,
        **claims,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def _looks_like_a_jwt(credential: str) -> bool:
    # A JWS in compact serialisation: header.payload.signature. The gateway's API keys
    # (gw_ and URL-safe base64) never hold a dot.
    return credential.count(".") == 2


class JwtVerifier:
    def __init__(self, settings: JwtSettings) -> None:
        self.secret = settings.secret
        self.issuer = settings.issuer

    async def verify(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        value = request.headers.get(hdrs.AUTHORIZATION, "")
        scheme, _, credential = value.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not _looks_like_a_jwt(credential):
            return await handler(request)  # not ours: an API key, or nothing
        try:
            claims = jwt.decode(
                credential,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["sub", "exp", "iss"]},
            )
        except jwt.InvalidTokenError as exc:
            raise ProblemError(
                401,
                f"The bearer token is not a valid JWT: {exc}.",
                headers={"WWW-Authenticate": 'Bearer realm="jwt", error="invalid_token"'},
            ) from None
        if identity_of(request) is None:  # an earlier provider's identity stands
            scopes = frozenset(str(claims.get("scope", "")).split())
            request[IDENTITY] = Identity(str(claims["sub"]), scopes, PROVIDER)
        return await handler(request)


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(name="jwt", settings=JwtSettings, description="HS256 JWTs (tests only).")


@hookimpl
def gateway_middlewares(settings: JwtSettings) -> list[Middleware]:
    return [Middleware("verify", JwtVerifier(settings).verify, Priority.AUTHENTICATION)]


@hookimpl
def gateway_openapi_extend(routes: list[OpenAPIRoute]) -> OpenAPIExtension:
    extension = OpenAPIExtension(
        components={
            "securitySchemes": {
                "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            }
        }
    )
    bad_token = problem_response("A bearer JWT that does not verify.")
    for route in routes:
        if any(label.startswith("jwt:") for label in route.middlewares):
            # This provider identifies callers but requires nothing: anonymous stays possible
            # as far as it is concerned ({}), a JWT is one more way in.
            extension.operations[route] = OperationExtension(
                security=[{}, {"jwt": []}], responses={"401": bad_token}
            )
    return extension
