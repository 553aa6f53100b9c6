"""Counters of what the cache and the upstream did: for the health output and ``/metrics``."""

from dataclasses import asdict, dataclass
from typing import Literal

from prometheus_client import Counter

Event = Literal[
    "hits",
    "misses",
    "stale_serves",
    "coalesced_waits",
    "upstream_calls",
    "upstream_429s",
    "upstream_failures",
    "remembered_failures",
    "circuit_refusals",
]

# Process-wide, as Prometheus counters are; under --workers N, /metrics sums the workers.
_METRICS: dict[str, Counter] = {
    "hits": Counter("gateway_crypto_cache_hits_total", "Requests answered from a fresh entry."),
    "misses": Counter("gateway_crypto_cache_misses_total", "Requests that found no fresh entry."),
    "stale_serves": Counter(
        "gateway_crypto_stale_serves_total", "Requests answered from a stale entry."
    ),
    "coalesced_waits": Counter(
        "gateway_crypto_coalesced_waits_total",
        "Misses that waited for another request's upstream call instead of making one.",
    ),
    "upstream_calls": Counter("gateway_crypto_upstream_calls_total", "Calls made to CoinGecko."),
    "upstream_429s": Counter(
        "gateway_crypto_upstream_429s_total", "CoinGecko answers that were 429 (rate-limited)."
    ),
    "upstream_failures": Counter(
        "gateway_crypto_upstream_failures_total",
        "CoinGecko calls that failed other than by a 429: timeouts, 5xx, unexpected answers.",
    ),
    "remembered_failures": Counter(
        "gateway_crypto_remembered_failures_total",
        "Misses answered from a failure remembered for their key (failure_ttl), with no call.",
    ),
    "circuit_refusals": Counter(
        "gateway_crypto_circuit_refusals_total",
        "Misses that made no call because the circuit in front of CoinGecko was open.",
    ),
}

# The hit counter's public inc, looked up once: a hit is the hot path.
_count_hit = _METRICS["hits"].inc


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
    remembered_failures: int = 0
    circuit_refusals: int = 0

    def count(self, event: Event) -> None:
        """One more ``event``: in this app's counters and in the process's Prometheus metrics."""
        setattr(self, event, getattr(self, event) + 1)
        _METRICS[event].inc()

    def hit(self) -> None:
        """One more hit: :meth:`count` without looking the event up, for the hot path."""
        self.hits += 1
        _count_hit()

    def snapshot(self) -> dict[str, int]:
        return asdict(self)
