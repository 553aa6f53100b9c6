"""An identity provider for the tests: signing keys of every kind, a JWKS endpoint and an
OpenID configuration served on 127.0.0.1 by aiohttp, and tokens signed with those keys.

It counts the fetches of its key set, can rotate its keys, go down (503, or stop answering)
and come back, and set the Cache-Control of its answers.
"""

from __future__ import annotations

import functools
import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

AUDIENCE = "orders-api"
# Every asymmetric algorithm the plugin accepts, and the kind of key that signs it.
ALGORITHMS = {
    "RS256": "rsa",
    "RS384": "rsa",
    "RS512": "rsa",
    "PS256": "rsa",
    "PS384": "rsa",
    "PS512": "rsa",
    "ES256": "p256",
    "ES384": "p384",
    "ES512": "p521",
    "EdDSA": "ed25519",
}


def private_key(kind: str, generation: int = 0) -> Any:
    """One key per kind and generation, made once per test session (RSA takes a while)."""
    return _made(kind, generation)


@functools.cache
def _made(kind: str, generation: int) -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    curve = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1()}[kind]
    return ec.generate_private_key(curve)


def public_jwk(kind: str, generation: int, kid: str) -> dict[str, Any]:
    public = private_key(kind, generation).public_key()
    if kind == "rsa":
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    elif kind == "ed25519":
        jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    return {**jwk, "kid": kid, "use": "sig"}


class IdentityProvider:
    """The provider's state; ``app()`` serves it. ``issuer`` is set once it listens."""

    def __init__(self) -> None:
        self.issuer = ""
        self.generation = 0
        self.fetches = 0  # GETs of the JWK set
        self.discoveries = 0
        self.down = False  # answer 503
        self.cache_control: str | None = "max-age=300"
        self.extra_keys: list[dict[str, Any]] = []
        self.keys_body: bytes | None = None  # served instead of the JWK set
        self.claimed_issuer: str | None = None  # the issuer its configuration names

    def kid(self, kind: str, generation: int | None = None) -> str:
        return f"{kind}-{self.generation if generation is None else generation}"

    def jwks(self) -> dict[str, Any]:
        kinds = sorted(set(ALGORITHMS.values()))
        keys = [public_jwk(kind, self.generation, self.kid(kind)) for kind in kinds]
        return {"keys": keys + self.extra_keys}

    def rotate(self) -> None:
        """New keys under new kids; the old ones are no longer published."""
        self.generation += 1

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._configuration)
        app.router.add_get("/keys", self._keys)
        return app

    async def _configuration(self, request: web.Request) -> web.Response:
        self.discoveries += 1
        if self.down:
            raise web.HTTPServiceUnavailable()
        return web.json_response(
            {
                "issuer": self.claimed_issuer or self.issuer,
                "jwks_uri": f"{self.issuer}/keys",
                "id_token_signing_alg_values_supported": list(ALGORITHMS),
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.fetches += 1
        if self.down:
            raise web.HTTPServiceUnavailable()
        headers = {"Cache-Control": self.cache_control} if self.cache_control else {}
        if self.keys_body is not None:
            return web.Response(body=self.keys_body, headers=headers)
        return web.json_response(self.jwks(), headers=headers)

    def token(
        self,
        subject: str = "robot",
        algorithm: str = "RS256",
        *,
        generation: int | None = None,
        kid: str | bool | None = True,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A token signed with the provider's key for ``algorithm`` (valid five minutes)."""
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        kind = ALGORITHMS[algorithm]
        generation = self.generation if generation is None else generation
        header = dict(headers or {})
        if kid is True:
            header["kid"] = self.kid(kind, generation)
        elif isinstance(kid, str):
            header["kid"] = kid
        return jwt.encode(
            payload, private_key(kind, generation), algorithm=algorithm, headers=header
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# HS256 with a shared secret: tokens the tests of other plugins sign without a provider.
SHARED_ISSUER = "https://issuer.test"


def shared_secret_table(secret: str) -> dict[str, Any]:
    """A [plugins.jwt] table for HS256 tokens signed with ``secret``."""
    return {
        "secret": secret,
        "algorithms": ["HS256"],
        "issuer": SHARED_ISSUER,
        "audience": [AUDIENCE],
    }


def issue(secret: str, subject: str, scopes: list[str], **claims: Any) -> str:
    """An HS256 token as the identity provider would sign it (valid for five minutes)."""
    payload = {
        "sub": subject,
        "scope": " ".join(scopes),
        "iss": SHARED_ISSUER,
        "aud": AUDIENCE,
        "exp": int(time.time()) + 300,
        **claims,
    }
    return jwt.encode(payload, secret, algorithm="HS256")
