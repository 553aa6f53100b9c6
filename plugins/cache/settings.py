"""The ``[plugins.cache]`` table (or any ``[plugins.X]`` with ``plugin = "cache"``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway import PluginSettings, check_store_url


class ScopePolicy(BaseModel):
    """An operator's choices for one plugin or prefix (as in ``apply_to``), overriding the
    table's own; a key left out keeps the table's value."""

    model_config = ConfigDict(extra="forbid")

    ttl: float | None = Field(None, ge=0)
    heuristic: float | None = Field(None, ge=0, le=1)
    stale_while_revalidate: float | None = Field(None, ge=0)
    stale_if_error: float | None = Field(None, ge=0)


class CacheSettings(PluginSettings):
    # memory:// (this process, bounded by max_memory) or redis://host:6379/0 (shared by every
    # process and host using the same namespace).
    storage: str = "memory://"
    namespace: str = Field("gateway-cache", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    # The cache's name in Cache-Status (RFC 9211): a token; give each instance its own.
    name: str = Field("gateway", pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    # Bytes of answers kept in memory at most (least recently used dropped first); also the
    # bound of a Redis store's stand-in in this process while Redis is down.
    max_memory: int = Field(64 * 1024 * 1024, gt=0)
    # The largest answer body stored, in bytes; larger answers, and every answer a handler
    # streams, pass through unstored and unbuffered.
    max_size: int = Field(1024 * 1024, gt=0)
    # The freshness lifetime of every stored answer, instead of the origin's (None: the
    # origin's Cache-Control / Expires decide).
    ttl: float | None = Field(None, ge=0)
    # RFC 9111 §4.2.2 heuristic freshness: this fraction of an answer's Last-Modified age,
    # when the origin gives no explicit freshness; 0 (the default) is off.
    heuristic: float = Field(0.0, ge=0, le=1)
    heuristic_max: float = Field(86400.0, ge=0)
    # Seconds past freshness a stale answer is served (RFC 5861), where the answer names none.
    stale_while_revalidate: float = Field(0.0, ge=0)
    stale_if_error: float = Field(0.0, ge=0)
    # Seconds an answer with ETag or Last-Modified is kept past its freshness, to be
    # revalidated with a conditional request rather than fetched whole.
    keep_validated: float = Field(300.0, ge=0)
    # Coalescing: how long a request waits for another's fill of the same key before it asks
    # the origin itself, and how long a process's fill lock in Redis lasts at most.
    fill_wait: float = Field(10.0, gt=0, le=300)
    fill_hold: float = Field(30.0, gt=0, le=600)
    # Per plugin name or prefix (as in apply_to).
    overrides: dict[str, ScopePolicy] = Field(default_factory=dict)

    @field_validator("storage")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        return check_store_url(value)
