"""The ``[plugins.crypto]`` table: upstream, key, cache backend and the cache's clocks."""

from typing import Literal, Self
from urllib.parse import urlsplit

from limits import parse as parse_rate
from pydantic import Field, field_validator, model_validator

from gateway import PluginSettings, check_store_url
from gateway_plugins.crypto.paths import pattern_error

PUBLIC_BASE_URL = "https://api.coingecko.com/api/v3"
PRO_BASE_URL = "https://pro-api.coingecko.com/api/v3"
# The header CoinGecko reads the key from, by plan (a public call sends none).
KEY_HEADERS = {"demo": "x-cg-demo-api-key", "pro": "x-cg-pro-api-key"}
MAX_PATH_TTL = 7 * 86400.0


class CryptoSettings(PluginSettings):
    """Validated settings of the crypto plugin; every default is documented in docs/crypto.md."""

    api_plan: Literal["public", "demo", "pro"] = "public"
    # None means the plan's own host: api.coingecko.com, or pro-api.coingecko.com for "pro".
    base_url: str | None = None
    # repr=False keeps the key out of tracebacks and debug prints; the host redacts it by name.
    api_key: str | None = Field(None, repr=False)
    cache: str = "memory://"
    # Redis keys start with this, so several gateways (or tests) can share one database.
    cache_namespace: str = Field("gateway:crypto", pattern=r"^[A-Za-z0-9:._-]{1,64}$")
    # Bytes of entries memory:// keeps at most (least recently used dropped first); also the
    # bound of this process's stand-in while a Redis cache is down.
    cache_max_memory: int = Field(64 * 1024 * 1024, gt=0)
    ttl: float = Field(60.0, gt=0, le=86400)
    stale_ttl: float = Field(600.0, ge=0, le=7 * 86400)
    # How long an upstream "no such coin" / "unsupported currency" answer is remembered.
    not_found_ttl: float = Field(30.0, ge=0, le=86400)
    # Seconds past freshness during which a stale entry is served at once while one refresh
    # runs in the background (RFC 5861 stale-while-revalidate); 0 makes requests wait for it.
    stale_while_revalidate: float = Field(60.0, ge=0, le=7 * 86400)
    # How long a failed call (timeout, refused, 5xx, unusable answer) is remembered per key:
    # meanwhile that key is answered from stale or with the failure, with no call.
    failure_ttl: float = Field(5.0, ge=0, le=3600)
    # Failed calls in a row after which no call at all is made for circuit_open_for seconds,
    # then one probe; each failed probe doubles the wait, up to circuit_max_open_for.
    circuit_failures: int = Field(5, ge=1, le=1000)
    circuit_open_for: float = Field(10.0, gt=0, le=3600)
    circuit_max_open_for: float = Field(300.0, gt=0, le=86400)
    # Path families forwarded to CoinGecko and their time to live (seconds; 0: forwarded and
    # coalesced, never stored), merged over the defaults in families.py.
    paths: dict[str, float] = Field(default_factory=dict)
    timeout: float = Field(10.0, gt=0, le=120)
    max_connections: int = Field(10, ge=1, le=1000)
    # Seconds between WebSocket price refreshes; None follows ``ttl``.
    ws_refresh: float | None = Field(None, gt=0, le=3600)
    # How many messages (subscriptions, changes, junk) one live socket may send per window;
    # past it each message is refused with an error, and after ``ws_refused_before_close``
    # refused in a row the socket is closed with 1008 (policy violation).
    ws_message_rate: str = "30/minute"
    ws_refused_before_close: int = Field(10, ge=1, le=1000)

    @field_validator("ws_message_rate")
    @classmethod
    def _one_rate(cls, value: str) -> str:
        try:
            rate = parse_rate(value)
        except ValueError:
            raise ValueError(
                f'{value!r} is not a rate: write "N/second", "N/minute" or "N/hour" '
                '(also "N per 10 seconds")'
            ) from None
        if rate.amount < 1:
            raise ValueError("must allow at least one message per window, as in 30/minute")
        return value

    @field_validator("paths")
    @classmethod
    def _path_patterns(cls, value: dict[str, float]) -> dict[str, float]:
        for pattern, ttl in value.items():
            problem = pattern_error(pattern)
            if problem is not None:
                raise ValueError(f"{pattern!r}: {problem}")
            if not 0 <= ttl <= MAX_PATH_TTL:
                raise ValueError(f"{pattern!r}: the ttl must be 0 to {MAX_PATH_TTL:g} seconds")
        return value

    @field_validator("base_url")
    @classmethod
    def _plain_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL such as " + PUBLIC_BASE_URL)
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query or fragment")
        return value.rstrip("/")

    @field_validator("cache")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        return check_store_url(value)

    @model_validator(mode="after")
    def _key_matches_plan(self) -> Self:
        if self.api_plan == "public" and self.api_key:
            raise ValueError(
                'api_key is set but api_plan is "public", so it would never be sent: '
                'set api_plan = "demo" or "pro"'
            )
        if self.api_plan != "public" and not self.api_key:
            raise ValueError(f'api_plan = "{self.api_plan}" needs api_key')
        return self

    @property
    def upstream(self) -> str:
        """The CoinGecko base URL actually called, without a trailing slash."""
        if self.base_url is not None:
            return self.base_url
        return PRO_BASE_URL if self.api_plan == "pro" else PUBLIC_BASE_URL

    @property
    def key_header(self) -> str | None:
        """The header name the key travels in, or None on the public plan."""
        return KEY_HEADERS.get(self.api_plan)

    @property
    def refresh_interval(self) -> float:
        return self.ws_refresh if self.ws_refresh is not None else self.ttl
