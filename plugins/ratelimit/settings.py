"""The ``[plugins.ratelimit]`` table: what is limited, counted per whom, stored where."""

from __future__ import annotations

from typing import Literal

from limits import parse_many
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway import PluginSettings, check_store_url

Counting = Literal["identity", "address"]
STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix")
# The health plugin's probes and the gateway's own paths, as apply_to names them.
DEFAULT_EXEMPT = ("health", "/_gateway", "/metrics")


def _rates(value: list[str]) -> list[str]:
    if not value:
        raise ValueError('give at least one rate, like ["60/minute", "1000/day"]')
    for rate in value:
        try:
            parse_many(rate)
        except ValueError:
            raise ValueError(
                f'{rate!r} is not a rate: write "N/second", "N/minute", "N/hour" or "N/day" '
                '(also "N per 5 minutes")'
            ) from None
    return value


class Policy(BaseModel):
    """The limits of one plugin or prefix, overriding the table's own."""

    model_config = ConfigDict(extra="forbid")

    limits: list[str]
    by: Counting = "identity"

    @field_validator("limits")
    @classmethod
    def _check_limits(cls, value: list[str]) -> list[str]:
        return _rates(value)


class RateLimitSettings(PluginSettings):
    limits: list[str]
    # identity: the authenticated caller's name, the client address when anonymous.
    by: Counting = "identity"
    # sliding-window: a weighted pair of counters per caller, constant time and memory; the
    # moving window keeps one entry per admitted request (exact, costlier); fixed windows
    # allow bursts of twice the limit around a window's edge.
    strategy: Literal["sliding-window", "moving-window", "fixed-window"] = "sliding-window"
    storage: str = "memory://"
    key_prefix: str = "gateway-ratelimit"
    # What to do while the storage does not answer: let traffic through (logged once per
    # outage, a `warn` in /health) or refuse it with 503.
    on_storage_error: Literal["allow", "deny"] = "allow"
    # The longest a request waits for the storage; after a failure the storage is left alone
    # for `storage_retry` seconds, so an outage costs no request a timeout after the first.
    storage_timeout: float = Field(0.25, gt=0, le=5)
    storage_retry: float = Field(5.0, gt=0, le=300)
    # Per plugin name or prefix (as in apply_to).
    overrides: dict[str, Policy] = Field(default_factory=dict)
    # Scopes never limited unless named in apply_to or overrides: the probes (a load
    # balancer's, all from one address, would spend a day's quota in an hour and then fail)
    # and the gateway's own admin paths. [] limits them like every other path.
    exempt: list[str] = Field(default_factory=lambda: list(DEFAULT_EXEMPT))

    @field_validator("limits")
    @classmethod
    def _check_limits(cls, value: list[str]) -> list[str]:
        return _rates(value)

    @field_validator("storage")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        return check_store_url(value, STORAGE_SCHEMES)
