"""``crypto:cache`` and ``crypto:upstream``: both ``required=False``, so neither fails readiness.

A Redis that does not answer is a ``warn``: the process serves from its own memory meanwhile
(gateway/cache_store.py), and every instance shares the Redis, so failing readiness on it would take
every instance out of the load balancer at once.

Neither check calls CoinGecko: every call counts against the quota, and health is polled often.
``crypto:upstream`` reports what the last real call of this process did and whether a
rate-limit window is open, and the state of the circuit in front of CoinGecko (circuit.py); an
unreachable CoinGecko must not take the gateway out of a load balancer, since stale entries
still answer.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from aiohttp import web

from gateway import CheckResult, HealthCheck
from gateway_plugins.crypto.keys import FEED, PROXY, STATS


def health_checks(app: web.Application) -> list[HealthCheck]:
    async def cache() -> CheckResult:
        store = app[PROXY].store
        try:
            await store.ping()
        except Exception as exc:
            # The error's class only: its text names the Redis address, and /health is public
            # (the log line of the outage has the rest, once).
            output = (
                f"the {store.kind} backend does not answer "
                f"({type(exc).__name__}); serving from this process's memory"
            )
            return CheckResult("fail", output)
        return CheckResult(output=f"{store.kind} backend answers")

    async def upstream() -> CheckResult:
        proxy = app[PROXY]
        stats = app[STATS].snapshot()
        details = {"stats": stats, "liveSubscribers": app[FEED].subscriber_count}
        asked = stats["hits"] + stats["misses"]
        # The share of requests answered from a fresh entry since start-up (the dashboard's).
        details["cacheHitRatio"] = round(stats["hits"] / asked, 4) if asked else None
        try:
            remaining = await proxy.window_remaining()
        except Exception as exc:  # the cache's own check reports it; this one only warns
            output = f"rate-limit window unknown ({type(exc).__name__})"
            return CheckResult("warn", output, details=details)
        last = proxy.last_outcome
        if last is not None:
            details["lastCall"] = datetime.fromtimestamp(last.at, UTC).isoformat()
            details["lastOutcome"] = last.description
        circuit = proxy.circuit
        details["circuit"] = circuit.state
        if circuit.state != "closed":
            output = (
                f"CoinGecko failing: circuit {circuit.state} after "
                f"{circuit.consecutive_failures} failures in a row, next probe in "
                f"{circuit.remaining():.0f}s"
            )
            return CheckResult(
                "warn",
                output,
                observed_value=round(circuit.remaining(), 1),
                observed_unit="s",
                details=details,
            )
        if remaining:
            output = f"rate-limited by CoinGecko: no calls for {remaining:.0f}s more"
            return CheckResult(
                "warn",
                output,
                observed_value=round(remaining, 1),
                observed_unit="s",
                details=details,
            )
        if last is None:
            return CheckResult("pass", "no upstream call yet", details=details)
        ago = time.time() - last.at
        output = f"last call {ago:.0f}s ago: {last.description}"
        return CheckResult("pass" if last.ok else "warn", output, details=details)

    return [
        HealthCheck("cache", cache, timeout=2.0, component_type="datastore", required=False),
        HealthCheck("upstream", upstream, timeout=2.0, component_type="component", required=False),
    ]
