"""A key set: the public keys one issuer signs with, by ``kid``, and which of them may verify
a token signed with a given algorithm.

A key verifies only the algorithms of its own type (RSA: RS*/PS*; EC: the ES* of its curve;
OKP: EdDSA), and only the one its JWK names in ``alg`` if it names one. That is what refuses
algorithm confusion: an RSA public key is never used as an HMAC secret (HS* tokens are checked
with the configured secret alone), nor for ES256.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def fits(jwk: dict[str, Any], algorithm: str) -> bool:
    """Whether the JWK ``jwk`` may verify a token signed with ``algorithm``."""
    if jwk.get("use", "sig") != "sig":
        return False
    declared = jwk.get("alg")
    if declared is not None and declared != algorithm:
        return False
    kty = jwk.get("kty")
    if algorithm[:2] in ("RS", "PS"):
        return kty == "RSA"
    if algorithm in _EC_CURVES:
        return kty == "EC" and jwk.get("crv") == _EC_CURVES[algorithm]
    if algorithm == "EdDSA":
        return kty == "OKP" and jwk.get("crv") in ("Ed25519", "Ed448")
    return False  # HS*: never a key of the set (oct keys are ignored)


@dataclass
class KeySet:
    """Verified-usable JWKs by kid (``None`` for keys without one)."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    # (kid, alg) -> the keys PyJWT verifies with, built once.
    _prepared: dict[tuple[str | None, str], list[jwt.PyJWK]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kids = frozenset(k["kid"] for k in self.keys if isinstance(k.get("kid"), str))

    def __len__(self) -> int:
        return len(self.keys)

    def knows(self, kid: str) -> bool:
        return kid in self.kids

    def candidates(self, kid: str | None, algorithm: str) -> list[jwt.PyJWK]:
        """The keys that may verify a token with header ``kid`` and ``alg``: the key of that kid
        when the token names one, else every key that fits the algorithm."""
        found = self._prepared.get((kid, algorithm))
        if found is None:
            found = [
                jwt.PyJWK(k, algorithm)
                for k in self.keys
                if (kid is None or k.get("kid") == kid) and fits(k, algorithm)
            ]
            self._prepared[(kid, algorithm)] = found
        return found

    def describe(self) -> list[str]:
        return sorted(str(k.get("kid", "(no kid)")) for k in self.keys)


def parse_jwks(document: Any) -> KeySet:
    """The usable signing keys of a JWKS document (RFC 7517); raises ValueError when it is not
    one or holds none. Keys PyJWT cannot load (unknown types, broken numbers) are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('not a JWK set (a JSON object with a "keys" list)')
    usable = []
    for key in document["keys"]:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC", "OKP"):
            continue
        if key.get("use", "sig") != "sig" or "d" in key:  # never a private key
            continue
        try:
            jwt.PyJWK(key, _any_algorithm(key))
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
        usable.append(key)
    if not usable:
        raise ValueError("the JWK set holds no usable signing key (RSA, EC or OKP)")
    return KeySet(usable)


def _any_algorithm(key: dict[str, Any]) -> str:
    if isinstance(key.get("alg"), str):
        return str(key["alg"])
    if key["kty"] == "RSA":
        return "RS256"
    if key["kty"] == "EC":
        by_curve = {curve: alg for alg, curve in _EC_CURVES.items()}
        return by_curve.get(str(key.get("crv")), "ES256")
    return "EdDSA"


def read_jwks_file(path: Path) -> KeySet:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"cannot read the JWK set {path}: {exc}") from None
    try:
        return parse_jwks(document)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def read_pem_files(paths: list[Path]) -> KeySet:
    """PEM public keys as JWKs, each named (kid) by its file name without extension."""
    keys = []
    for path in paths:
        try:
            public = load_pem_public_key(path.read_bytes())
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"cannot read the public key {path}: {exc}") from None
        jwk: dict[str, Any]
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
        else:
            raise ValueError(f"{path}: not an RSA, EC or Ed25519/Ed448 public key")
        keys.append({**jwk, "kid": path.stem})
    return KeySet(keys)
