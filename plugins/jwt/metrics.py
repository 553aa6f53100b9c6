"""Prometheus metrics of the jwt plugin, by instance (its table's name).

Defined once per process, as prometheus_client's metrics are; each instance resolves its
labelled children once (``.labels`` is costly per request). Tokens are counted only when
``[gateway] metrics = true``: an operator who does not scrape pays nothing per request.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

TOKENS = Counter(
    "gateway_jwt_tokens_total",
    "Bearer JWTs judged, by result (accepted, refused) and reason: cached or verified when "
    "accepted; what was wrong when refused (expired, signature, issuer, unknown_kid, ...).",
    ["instance", "result", "reason"],
)
FETCHES = Counter(
    "gateway_jwt_key_fetches_total",
    "Fetches of the issuer's key set (JWKS), by outcome (ok, error).",
    ["instance", "outcome"],
)
FETCHED = Gauge(
    "gateway_jwt_keys_fetched_timestamp_seconds",
    "When the key set in use was fetched (Unix time); the newest of the live workers.",
    ["instance"],
    multiprocess_mode="livemax",
)


class JwtMetrics:
    """One instance's series."""

    def __init__(self, instance: str) -> None:
        self.instance = instance
        self._tokens: dict[tuple[str, str], Counter] = {}
        self.fetch_ok = FETCHES.labels(instance, "ok")
        self.fetch_error = FETCHES.labels(instance, "error")
        self.fetched_at = FETCHED.labels(instance)

    def token(self, result: str, reason: str) -> None:
        child = self._tokens.get((result, reason))
        if child is None:
            child = self._tokens[(result, reason)] = TOKENS.labels(self.instance, result, reason)
        child.inc()

    def fetched(self, ok: bool) -> None:
        if ok:
            self.fetch_ok.inc()
            self.fetched_at.set_to_current_time()
        else:
            self.fetch_error.inc()
