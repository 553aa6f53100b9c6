"""Prometheus metrics of the cache, per instance (its name in ``[plugins.NAME]``).

Defined once per process; each instance resolves its labelled children when it is built.
Under ``--workers N`` counters sum over the workers; the stored-bytes gauge of a memory store
is the live workers' sum (each holds its own), and a Redis store's is not known (the bytes
this process wrote are counted in ``gateway_cache_written_bytes_total``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from gateway import CacheStore

ANSWERS = Counter(
    "gateway_cache_answers_total",
    "Requests the cache handled, by how: hit (fresh from the store), stale (a stale answer "
    "served: stale-while-revalidate or stale-if-error), miss (forwarded, nothing stored), "
    "coalesced (answered by another request's fill).",
    ["instance", "result"],
)
STORED_BYTES = Gauge(
    "gateway_cache_stored_bytes",
    "Bytes of answers held in this instance's memory store.",
    ["instance"],
    multiprocess_mode="livesum",
)
WRITTEN_BYTES = Counter(
    "gateway_cache_written_bytes_total",
    "Bytes of answers this instance stored (memory or Redis).",
    ["instance"],
)
RESULTS = ("hit", "stale", "miss", "coalesced")


class CacheMetrics:
    """One instance's series, resolved once; ``counts`` mirrors them for /health and tests."""

    def __init__(self, instance: str, store: CacheStore) -> None:
        self.store = store
        self.answers = {result: ANSWERS.labels(instance, result) for result in RESULTS}
        self.stored_bytes = STORED_BYTES.labels(instance)
        self.written = WRITTEN_BYTES.labels(instance)
        self.counts = dict.fromkeys(RESULTS, 0)

    def __call__(self, event: str, amount: int) -> None:
        if event == "stored":
            self.written.inc(amount)
            held = self.store.stored_bytes
            if held is not None:
                self.stored_bytes.set(held)
            return
        self.counts[event] += amount
        self.answers[event].inc(amount)
