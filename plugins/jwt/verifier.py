"""Judging one bearer JWT: whose it is, whether its signature and claims hold, and the
identity it stands for.

Every refusal has a reason (counted in metrics) and a description for the client that says
what was wrong and never repeats the token, nor any text taken from it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
import orjson
from jwt.utils import base64url_decode

from gateway import Identity
from gateway_plugins.jwt.keysource import KeySource
from gateway_plugins.jwt.settings import HMAC, Algorithm, JwtSettings, Reason

# A verified token without exp is remembered this long (seconds); a token another instance
# owns is remembered as "not ours" at most this long.
_NO_EXPIRY_CACHE = 60.0
_KNOWN_ALGORITHMS = frozenset(Algorithm.__args__)  # type: ignore[attr-defined]


class TokenRefused(Exception):
    """A token of this instance's kind that does not verify: 401 (503 while no keys)."""

    def __init__(self, reason: Reason, description: str, status: int = 401) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description
        self.status = status


@dataclass(frozen=True)
class TokenVerdict:
    """An accepted token's identity, or ``None`` for a token another instance owns; and until
    when (Unix time) the verdict holds."""

    identity: Identity | None
    until: float


def claim_at(claims: dict[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` (``realm_access.roles``); ``None`` if absent. A claim
    whose own name holds the dot (``https://example.com/roles``) is found too."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def scopes_from(value: Any) -> set[str]:
    """A space-separated string (OAuth's ``scope``) or a list of strings (``scp``, roles)."""
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str) and item}
    return set()


class TokenVerifier:
    """One instance's judge: its settings, its keys, and the issuers other instances own."""

    def __init__(
        self,
        settings: JwtSettings,
        source: KeySource,
        provider: str,
        others: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.source = source
        self.provider = provider
        self.others = others
        self.accepted = frozenset(settings.algorithms)
        self.secret = settings.secret.encode() if settings.secret else None
        self.audience = settings.audience if settings.verify_audience else None
        self.issuer = settings.issuer if settings.verify_issuer else None
        self.options: Any = {
            "require": settings.checked_claims(),
            "verify_aud": settings.verify_audience,
            "verify_iss": settings.verify_issuer,
        }

    async def verify(self, token: str) -> TokenVerdict:
        """Raises :class:`TokenRefused`; ``TokenVerdict(None, ...)`` for another instance's."""
        header, payload = self._unverified(token)
        if payload.get("iss") in self.others:
            exp = payload.get("exp")
            until = time.time() + _NO_EXPIRY_CACHE
            if isinstance(exp, int | float):
                until = min(until, float(exp))
            return TokenVerdict(None, until)
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or not algorithm:
            raise TokenRefused("malformed", "The bearer token names no signing algorithm (alg)")
        if algorithm.lower() == "none":
            raise TokenRefused(
                "algorithm", "The bearer token is unsigned (alg none), which is never accepted"
            )
        if algorithm not in self.accepted:
            named = algorithm if algorithm in _KNOWN_ALGORITHMS else "an algorithm"
            raise TokenRefused(
                "algorithm",
                f"The bearer token is signed with {named}, which is not accepted here "
                f"(accepted: {', '.join(self.settings.algorithms)})",
            )
        keys: list[Any]
        if algorithm in HMAC:
            keys = [self.secret]
        else:
            keys = await self._public_keys(header.get("kid"), algorithm)
        for key in keys:
            try:
                claims = jwt.decode(
                    token,
                    key=key,
                    algorithms=[algorithm],
                    audience=self.audience,
                    issuer=self.issuer,
                    leeway=self.settings.leeway,
                    options=self.options,
                )
            except jwt.InvalidSignatureError:
                continue  # another key of the set may have signed it (no kid)
            except jwt.PyJWTError as exc:
                raise self._refusal(exc) from None
            return self._verdict(claims)
        raise TokenRefused("signature", "The bearer token's signature does not verify")

    def _unverified(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(token)
            payload = orjson.loads(base64url_decode(token.split(".")[1]))
        except (jwt.PyJWTError, ValueError, IndexError):
            raise TokenRefused("malformed", "The bearer token is not a well-formed JWT") from None
        if not isinstance(payload, dict):
            raise TokenRefused("malformed", "The bearer token's claims are not a JSON object")
        return header, payload

    async def _public_keys(self, kid: Any, algorithm: str) -> list[Any]:
        source = self.source
        if not isinstance(kid, str):
            kid = None
        unknown = source.keys is None or (kid is not None and not source.keys.knows(kid))
        # Unknown to the set in use: the provider may have rotated its keys. Fetched again at
        # most once per cool-down, however many such tokens arrive.
        if unknown and source.may_fetch_now():
            await source.refresh()
        keys = source.keys
        if keys is None:
            raise TokenRefused(
                "no_keys",
                "The identity provider's keys could not be fetched yet; try again later",
                status=503,
            )
        if kid is not None and not keys.knows(kid):
            raise TokenRefused(
                "unknown_kid",
                "The bearer token names a signing key (kid) the issuer does not publish",
            )
        found = keys.candidates(kid, algorithm)
        if not found:
            # An RSA key asked to check an HS256 or ES256 signature: algorithm confusion.
            raise TokenRefused(
                "algorithm",
                f"The bearer token's signing key cannot verify {algorithm} signatures",
            )
        return found

    def _refusal(self, exc: jwt.PyJWTError) -> TokenRefused:
        if isinstance(exc, jwt.ExpiredSignatureError):
            return TokenRefused("expired", "The bearer token has expired")
        if isinstance(exc, jwt.ImmatureSignatureError):
            return TokenRefused(
                "not_yet_valid", "The bearer token is not valid yet (nbf or iat in the future)"
            )
        if isinstance(exc, jwt.InvalidIssuerError):
            return TokenRefused(
                "issuer", f"The bearer token was not issued by {self.settings.issuer}"
            )
        if isinstance(exc, jwt.InvalidAudienceError):
            return TokenRefused(
                "audience",
                "The bearer token is not meant for this API (audience: "
                f"{', '.join(self.settings.audience)})",
            )
        if isinstance(exc, jwt.MissingRequiredClaimError):
            claim = exc.claim if exc.claim in self.options["require"] else "claim"
            return TokenRefused("missing_claim", f"The bearer token lacks the {claim} claim")
        if isinstance(exc, jwt.InvalidAlgorithmError):
            return TokenRefused(
                "algorithm", "The bearer token's algorithm does not match its signing key"
            )
        if isinstance(exc, jwt.DecodeError):
            return TokenRefused("malformed", "The bearer token is not a well-formed JWT")
        return TokenRefused("invalid_claim", "The bearer token has a claim that is not valid")

    def _verdict(self, claims: dict[str, Any]) -> TokenVerdict:
        name = claim_at(claims, self.settings.subject_claim)
        if isinstance(name, int) and not isinstance(name, bool):
            name = str(name)
        if not isinstance(name, str) or not name:
            raise TokenRefused(
                "missing_claim",
                f"The bearer token lacks the {self.settings.subject_claim} claim that names "
                "the caller",
            )
        scopes: set[str] = set()
        for path in self.settings.scope_claims:
            scopes |= scopes_from(claim_at(claims, path))
        exp = claims.get("exp")
        if isinstance(exp, int | float):
            until = float(exp) + self.settings.leeway
        else:
            until = time.time() + _NO_EXPIRY_CACHE
        return TokenVerdict(Identity(name, frozenset(scopes), self.provider), until)
