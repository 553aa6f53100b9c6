"""Counters of what the cache and the upstream did, for health output and a future metrics hook."""

from dataclasses import asdict, dataclass


@dataclass
class CryptoStats:
    """Monotonic counters since start-up, kept on the sub-app under ``keys.STATS``.

    ``misses`` counts every request that found no fresh entry, whether it called the upstream,
    waited for another request's call (``coalesced_waits``), or was answered from a stale entry
    (``stale_serves``) or with an error.
    """

    hits: int = 0
    misses: int = 0
    stale_serves: int = 0
    coalesced_waits: int = 0
    upstream_calls: int = 0
    upstream_429s: int = 0
    upstream_failures: int = 0

    def snapshot(self) -> dict[str, int]:
        return asdict(self)
