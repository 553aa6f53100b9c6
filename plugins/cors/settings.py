"""The ``[plugins.cors]`` table: which origins may call, with what; overridable per scope."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway import PluginSettings

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$|^\*$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class CorsPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Exact origins ("https://app.example.com", "http://localhost:3000"), or "*" for any.
    origins: list[str] = Field(default_factory=list)
    methods: list[str] = Field(
        default_factory=lambda: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    )
    # Request headers a page may send.
    headers: list[str] = Field(
        default_factory=lambda: [
            "Content-Type",
            "Authorization",
            "X-API-Key",
            "X-Request-ID",
            "If-Match",
            "If-None-Match",
            "Idempotency-Key",
        ]
    )
    # Response headers a page may read, beyond the CORS-safelisted ones.
    expose_headers: list[str] = Field(
        default_factory=lambda: [
            "X-Request-ID",
            "ETag",
            "Location",
            "Link",
            "Retry-After",
            "RateLimit",
            "RateLimit-Policy",
            "Cache-Status",
        ]
    )
    credentials: bool = False
    max_age: int = Field(600, ge=0, le=86400)

    @field_validator("origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not _ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port] with no path or "
                    'trailing slash ("https://app.example.com"), or "*"'
                )
        return [origin.lower() for origin in value]

    @field_validator("methods", "headers", "expose_headers")
    @classmethod
    def _tokens(cls, value: list[str]) -> list[str]:
        for token in value:
            if not _TOKEN.match(token):
                raise ValueError(f"{token!r} is not a method or header name")
        return value

    @model_validator(mode="after")
    def _credentials_need_origins(self) -> CorsPolicy:
        if self.credentials and "*" in self.origins:
            raise ValueError(
                'credentials = true cannot go with origins = ["*"] (browsers refuse it): list '
                "the origins"
            )
        return self


class CorsSettings(CorsPolicy, PluginSettings):
    # Per plugin name or prefix (as in apply_to): a whole policy of its own.
    overrides: dict[str, CorsPolicy] = Field(default_factory=dict)
