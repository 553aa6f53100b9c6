"""The ``[plugins.jwt]`` table (and every ``plugin = "jwt"`` instance's): where the keys come
from, which algorithms are accepted, which claims are checked, and how a token becomes an
identity. Every key and its default is documented in docs/jwt.md."""

from __future__ import annotations

from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from gateway import PluginSettings

# What PyJWT verifies with the cryptography package, minus "none" (never) and ES256K (no
# identity provider signs with it). HS* need a configured secret.
Algorithm = Literal[
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "HS256",
    "HS384",
    "HS512",
]
HMAC = frozenset({"HS256", "HS384", "HS512"})
DISCOVERY_PATH = "/.well-known/openid-configuration"


def _http_url(value: str | None, key: str) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{key} must be an http:// or https:// URL, not {value!r}")
    return value


def _default_algorithms() -> list[Algorithm]:
    # RS256: what every identity provider signs with unless told otherwise (OIDC Core 1.0).
    return ["RS256"]


class JwtSettings(PluginSettings):
    """Validated settings of one JWT instance (one issuer)."""

    # The expected `iss` claim; with no key source given, also where OIDC discovery starts
    # (issuer + /.well-known/openid-configuration).
    issuer: str | None = None
    # The expected `aud` claim: one of these must be in the token's.
    audience: list[str] = Field(default_factory=list)
    verify_issuer: bool = True
    verify_audience: bool = True

    # Key sources: a JWKS URL, OIDC discovery, a JWKS file, PEM public key files (their file
    # names without extension are their kids), a shared secret for HS*.
    jwks_url: str | None = None
    discovery: bool | None = None
    jwks_file: str | None = None
    public_keys: list[str] = Field(default_factory=list)
    secret: str | None = Field(None, min_length=32)

    algorithms: list[Algorithm] = Field(default_factory=_default_algorithms, min_length=1)
    # Seconds of clock skew allowed on exp, nbf and iat.
    leeway: float = Field(30.0, ge=0, le=3600)
    # Claims a token must carry (iss and aud are added while they are verified).
    required_claims: list[str] = Field(default_factory=lambda: ["exp"])
    # The claim that names the caller, and the claims (dotted paths into nested objects) whose
    # values are its scopes: a space-separated string or a list of strings each.
    subject_claim: str = Field("sub", min_length=1)
    scope_claims: list[str] = Field(default_factory=lambda: ["scope", "scp"])

    # Seconds: the longest a fetched key set is used before it is fetched again (a shorter
    # Cache-Control max-age wins); the shortest time between two fetches (a token with an
    # unknown kid fetches again at most this often); how long one fetch may take.
    jwks_refresh: float = Field(300.0, ge=1, le=86400)
    jwks_cooldown: float = Field(30.0, ge=0.1, le=3600)
    fetch_timeout: float = Field(5.0, gt=0, le=120)
    # Verified tokens remembered (until they expire) so a client that sends the same token
    # again pays no signature check; the oldest is forgotten first.
    cache_size: int = Field(10_000, ge=0, le=1_000_000)
    realm: str = Field("gateway", pattern=r'^[^"\\]{1,64}$')

    @field_validator("jwks_url")
    @classmethod
    def _jwks_url(cls, value: str | None) -> str | None:
        return _http_url(value, "jwks_url")

    @field_validator("audience", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("algorithms")
    @classmethod
    def _distinct(cls, value: list[Algorithm]) -> list[Algorithm]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.verify_issuer and not self.issuer:
            raise ValueError(
                "issuer is required: set issuer to the identity provider's issuer URL (the "
                "tokens' iss claim), or verify_issuer = false to accept any issuer"
            )
        if self.verify_audience and not self.audience:
            raise ValueError(
                'audience is required: set audience = ["..."] to what your tokens carry in '
                "aud (for example this API's client id), or verify_audience = false"
            )
        hmac = [a for a in self.algorithms if a in HMAC]
        if hmac and self.secret is None:
            raise ValueError(
                f"{', '.join(hmac)} needs a shared secret: set secret (from the environment: "
                'secret = "${JWT_SECRET}"), or remove it from algorithms'
            )
        if self.secret is not None and not hmac:
            raise ValueError('secret is set but no HS* algorithm is: add "HS256" to algorithms')
        if self.discovery and not self.issuer:
            raise ValueError("discovery needs issuer: set issuer, or discovery = false")
        if self.discovery and self.issuer:
            _http_url(self.issuer, "issuer (for discovery)")
        asymmetric = [a for a in self.algorithms if a not in HMAC]
        if asymmetric and not self.uses_discovery and not self.has_key_source:
            raise ValueError(
                f"{', '.join(asymmetric)} needs public keys: set jwks_url, jwks_file, "
                "public_keys, or issuer (its OpenID configuration names the keys)"
            )
        return self

    @property
    def has_key_source(self) -> bool:
        return bool(self.jwks_url or self.jwks_file or self.public_keys)

    @property
    def uses_discovery(self) -> bool:
        """OIDC discovery: when asked for, or by default when no other public key source is
        given and the issuer is a URL."""
        if self.discovery is not None:
            return self.discovery
        if self.has_key_source or not self.issuer:
            return False
        if not any(a not in HMAC for a in self.algorithms):
            return False
        return urlsplit(self.issuer).scheme in ("http", "https")

    @property
    def discovery_url(self) -> str:
        assert self.issuer is not None
        return self.issuer.rstrip("/") + DISCOVERY_PATH

    @property
    def remote(self) -> bool:
        """Keys come over HTTP (and are refreshed in the background)."""
        return bool(self.jwks_url) or self.uses_discovery

    def checked_claims(self) -> list[str]:
        claims = list(self.required_claims)
        if self.verify_issuer:
            claims.append("iss")
        if self.verify_audience:
            claims.append("aud")
        return list(dict.fromkeys(claims))


Reason = Literal[
    "malformed",
    "algorithm",
    "unknown_kid",
    "signature",
    "expired",
    "not_yet_valid",
    "issuer",
    "audience",
    "missing_claim",
    "invalid_claim",
    "no_keys",
]
