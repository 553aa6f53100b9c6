"""Counters of what the cache and the upstream did: for the health output and ``/metrics``."""

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Literal

from prometheus_client import Counter

from gateway import Tally

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


@dataclass
class CryptoStats:
    """Monotonic counters since start-up, kept on the sub-app under ``keys.STATS``.

    ``misses`` counts every request that found no fresh entry, whether it called the upstream,
    waited for another request's call (``coalesced_waits``), or was answered from a stale entry
    (``stale_serves``) or with an error.

    A hit, the hot path, is counted by :attr:`hit`, a :class:`gateway.Tally`'s tick: one call
    into C where the counter's ``inc()`` and this object's own count were about 60 bytecodes
    (bench/bytecodes.py). ``/metrics`` sees the hits at its next scrape (the tallies are
    flushed first), or within a few seconds under ``--workers``.
    """

    _hits: Tally = field(default_factory=lambda: Tally(_METRICS["hits"]), repr=False)
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
        if event == "hits":
            self.hit()
            return
        setattr(self, event, getattr(self, event) + 1)
        _METRICS[event].inc()

    def __post_init__(self) -> None:
        #: One more hit: :meth:`count` of ``"hits"``, without a Python frame.
        self.hit: Callable[[], object] = self._hits.tick

    @property
    def hits(self) -> int:
        return self._hits.count()

    def snapshot(self) -> dict[str, int]:
        # Not asdict(), which would deep-copy the tally and its counter.
        counts = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_hits"}
        return {"hits": self.hits, **counts}
