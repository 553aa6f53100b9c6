"""The ``[plugins.auth]`` table: API keys (as hashes) and the rules saying who may do what."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway import PluginSettings, check_store_url

PUBLIC = "public"
HASH_PREFIX = "sha256:"
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"}


class KeySettings(BaseModel):
    """One API key: never the key itself, only its hash, and the scopes it grants."""

    model_config = ConfigDict(extra="forbid")

    hash: str
    scopes: list[str] = []

    @field_validator("hash")
    @classmethod
    def _is_a_hash(cls, value: str) -> str:
        value = value.strip().lower()
        if not _HASH.match(value):
            raise ValueError(
                'expected "sha256:" and 64 hex digits, as `gateway auth new-key NAME` prints it '
                "(the key itself never goes in the config)"
            )
        return value


class Rule(BaseModel):
    """Requests matching ``match`` (plugin names, prefixes or ``*``) and ``methods`` need
    ``require``: ``"public"`` (anyone) or a scope a key must have."""

    model_config = ConfigDict(extra="forbid")

    match: list[str] = ["*"]
    methods: list[str] = ["*"]
    require: str

    @field_validator("methods")
    @classmethod
    def _known_methods(cls, value: list[str]) -> list[str]:
        methods = [method.upper() for method in value]
        unknown = sorted(set(methods) - _METHODS)
        if unknown:
            raise ValueError(f"unknown methods {unknown}; use {sorted(_METHODS)}")
        return methods

    @field_validator("match")
    @classmethod
    def _plain_entries(cls, value: list[str]) -> list[str]:
        for entry in value:
            if entry != "*" and not entry.startswith("/") and not _NAME.match(entry):
                raise ValueError(f'{entry!r}: use a plugin name, a path prefix or "*"')
        return [entry.rstrip("/") or "/" for entry in value]


# The shipped rules: first match wins. The gateway's own paths are for admins; health, every
# read and the whole crypto proxy are public; anything else needs `write`.
DEFAULT_RULES = [
    Rule(match=["/_gateway", "/metrics"], require="admin"),
    Rule(match=["health", "crypto"], require=PUBLIC),
    Rule(methods=["GET", "HEAD"], require=PUBLIC),
    Rule(require="write"),
]


class AuthSettings(PluginSettings):
    keys: dict[str, KeySettings] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=lambda: list(DEFAULT_RULES))
    # Shown in WWW-Authenticate.
    realm: str = "gateway"
    # Failed key checks one client address may make (a `limits` rate string) before every
    # request with a key from it is refused with 429 until the window moves on.
    max_failures: str = "10/minute"
    # Where wrong keys are counted: "memory://" (each process its own) or a Redis URL
    # ("redis://host:6379/0", the ratelimit plugin's storage will do), shared by every worker
    # and instance, so --workers N does not multiply max_failures by N.
    failures_storage: str = "memory://"
    # The longest a key check waits for that Redis; while it does not answer, each process
    # counts in its own memory instead (logged once per outage).
    failures_storage_timeout: float = Field(0.5, gt=0, le=5)
    key_prefix: str = "gateway-auth"
    # Who an address that used up max_failures locks out: "address", every key sent from it
    # (a right key too: the answer says nothing of whether a guess was right), or
    # "wrong-keys", only wrong ones (a right key still passes: behind one NAT, a guesser does
    # not lock every key holder out; the 429 then tells a guesser which guess was right,
    # harmless for the 256-bit keys `gateway auth new-key` makes).
    lockout: Literal["address", "wrong-keys"] = "address"
    identity_header: Literal["authorization", "x-api-key", "both"] = "both"
    # Seconds a dashboard session (signed in at /_gateway/login with an admin key) lasts.
    session_lifetime: float = Field(8 * 3600, ge=60, le=7 * 86400)

    @field_validator("keys")
    @classmethod
    def _key_names(cls, value: dict[str, KeySettings]) -> dict[str, KeySettings]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"{name!r}: a key's name is 1-64 of A-Z a-z 0-9 . _ -")
        return value

    @field_validator("failures_storage")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        return check_store_url(value)

    @field_validator("max_failures")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f'{value!r}: expected a rate like "10/minute" ({exc})') from None
        return value
