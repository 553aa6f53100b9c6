"""The ``[plugins.proxy]`` table: where to forward, how to choose a target, when to give up.

Every key and its default is documented in docs/proxy.md. A table validates alone: nothing in
it refers to another instance, so the same plugin may serve several tables.
"""

from __future__ import annotations

from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway import PluginSettings

# Header names an operator may list: RFC 9110 tokens.
_TOKEN_CHARS = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _field_name(value: str) -> str:
    if not value or not set(value) <= _TOKEN_CHARS:
        raise ValueError(f"{value!r} is not a header field name (letters, digits, -, _ ...)")
    return value


class Timeouts(BaseModel):
    """Seconds: to connect to a target, for its answer's head once the request is sent, and
    between two pieces of a body (either way) or two WebSocket messages."""

    model_config = ConfigDict(extra="forbid")

    connect: float = Field(2.0, gt=0, le=300)
    first_byte: float = Field(30.0, gt=0, le=3600)
    idle: float = Field(60.0, gt=0, le=86400)


class ActiveHealthCheck(BaseModel):
    """``GET path`` on every target each ``interval`` seconds: ``unhealthy_after`` failures in a
    row take it out of the rotation, ``healthy_after`` successes (2xx or 3xx) bring it back."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field("/", pattern=r"^/[^\s?#]*(\?[^\s#]*)?$")
    interval: float = Field(5.0, ge=0.05, le=3600)
    timeout: float = Field(2.0, gt=0, le=300)
    unhealthy_after: int = Field(2, ge=1, le=100)
    healthy_after: int = Field(2, ge=1, le=100)


class ProxySettings(PluginSettings):
    """Validated settings of one proxy instance."""

    upstreams: list[str] = Field(min_length=1, max_length=256)
    balance: Literal["round_robin", "least_requests", "hash"] = "round_robin"
    # With balance = "hash": what keeps a client on one target.
    hash_on: str = "address"
    # /prefix/x is sent as /x (true) or as /prefix/x (false), after the target's own path.
    strip_prefix: bool = True
    # Send the client's Host instead of the target's.
    preserve_host: bool = False
    # The gateway's own credentials reach the upstream only when this is true.
    pass_credentials: bool = False
    credential_fields: list[str] = Field(default_factory=lambda: ["Authorization", "X-API-Key"])
    # The caller's identity name (gateway.identity_of) is sent in this field; a value the
    # client sent in it is always removed. "" (TOML has no null): no identity is sent.
    identity_field: str | None = "X-Gateway-Identity"
    # The name this hop gives itself in Via and Proxy-Status.
    via: str = Field("gateway", pattern=r"^[A-Za-z0-9._-]{1,64}$")

    retries: int = Field(1, ge=0, le=10)
    # Retries allowed per request sent (0 < budget <= 1): at 1, retries never more than
    # double the load on the upstreams.
    retry_budget: float = Field(1.0, gt=0, le=1)
    max_connections: int = Field(100, ge=1, le=100_000)
    pool_wait: float = Field(1.0, ge=0, le=300)
    keepalive: float = Field(30.0, ge=0, le=3600)
    # Passive ejection: this many connect failures or 5xx answers in a row take a target out
    # for eject_for seconds (0: never eject).
    eject_after: int = Field(5, ge=0, le=1000)
    eject_for: float = Field(30.0, gt=0, le=86400)
    health_check: ActiveHealthCheck | None = None
    # Whether /health fails (and readiness with it) when no target is left.
    health_required: bool = False
    timeouts: Timeouts = Timeouts()
    # Answers with a Content-Length up to this many bytes are read whole and sent in one
    # write (and carry every middleware's fields); longer ones are streamed. 0: stream all.
    buffer_answers: int = Field(65536, ge=0, le=16 * 1024 * 1024)
    # Largest request body forwarded (bytes); None: no limit.
    max_body_size: int | None = Field(None, ge=0)
    websockets: bool = True
    ws_max_message: int = Field(4 * 1024 * 1024, ge=1024)

    # Upstream TLS (https:// targets): relative paths are against plugins.toml's folder.
    verify: bool = True
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    # The upstream's OpenAPI document: a path on the first target, or an absolute URL.
    openapi_url: str | None = None

    @field_validator("upstreams")
    @classmethod
    def _upstream_urls(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{value!r}: write an http:// or https:// URL with a host")
            if parts.query or parts.fragment or parts.username or parts.password:
                raise ValueError(f"{value!r}: no query, fragment or user:password in a target")
            try:
                parts.port  # noqa: B018 - raises ValueError on a malformed port
            except ValueError as exc:
                raise ValueError(f"{value!r}: {exc}") from None
            cleaned.append(value.rstrip("/"))
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a target is listed twice")
        return cleaned

    @field_validator("hash_on")
    @classmethod
    def _hash_key(cls, value: str) -> str:
        kind, _, name = value.partition(":")
        if value == "address" or (kind in ("header", "cookie") and name):
            if kind == "header":
                _field_name(name)
            return value
        raise ValueError('write "address", "header:NAME" or "cookie:NAME"')

    @field_validator("credential_fields")
    @classmethod
    def _credential_names(cls, values: list[str]) -> list[str]:
        return [_field_name(v) for v in values]

    @field_validator("identity_field")
    @classmethod
    def _identity_name(cls, value: str | None) -> str | None:
        return None if not value else _field_name(value)

    @field_validator("openapi_url")
    @classmethod
    def _openapi_location(cls, value: str | None) -> str | None:
        if value is None or value.startswith("/"):
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("write a path on the first target (/openapi.json) or a full URL")
        return value

    @model_validator(mode="after")
    def _client_certificate_whole(self) -> Self:
        if self.key_file is not None and self.cert_file is None:
            raise ValueError("key_file needs cert_file (the client certificate it belongs to)")
        if not any(u.startswith("https://") for u in self.upstreams) and (
            self.ca_file or self.cert_file
        ):
            raise ValueError("ca_file and cert_file apply to https:// upstreams; none is listed")
        return self

    @property
    def hash_source(self) -> tuple[str, str]:
        """``("address", "")``, ``("header", NAME)`` or ``("cookie", NAME)``."""
        kind, _, name = self.hash_on.partition(":")
        return kind, name
