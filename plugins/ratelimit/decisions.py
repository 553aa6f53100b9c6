"""What the ratelimit plugin decided, for ``/metrics``: ``gateway_ratelimit_decisions_total``.

Labelled by ``instance``, ``policy`` (``default``, or the plugin or path an override is for:
names from the config) and ``result``, never by caller:

- ``admitted``: counted, and within every rate of the policy.
- ``limited``: refused with 429 (a rate had no room).
- with Redis only: ``store_down_admitted`` (the store did not answer and
  ``on_storage_error = "allow"`` let the request through uncounted), ``store_down_refused``
  (the same with ``"deny"``: 503) and ``store_busy_refused`` (every connection to the store
  stayed busy for the longest wait: 503).

Counted where each is decided with a :class:`gateway.Tally` (one call into C, no lock).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from prometheus_client import Counter

from gateway import Tally

DECISIONS = Counter(
    "gateway_ratelimit_decisions_total",
    "Requests the ratelimit plugin counted, by instance, policy and result (admitted, limited, "
    "and on Redis store_down_admitted, store_down_refused, store_busy_refused).",
    ["instance", "policy", "result"],
)


class PolicyDecisions:
    """One policy's counts: call the attribute of a result to count it."""

    __slots__ = (
        "admitted",
        "limited",
        "store_busy_refused",
        "store_down_admitted",
        "store_down_refused",
    )

    def __init__(self, instance: str, policy: str, shared_store: bool) -> None:
        def tick(result: str) -> Callable[[], object]:
            return Tally(DECISIONS, instance, policy, result).tick

        self.admitted = tick("admitted")
        self.limited = tick("limited")
        if shared_store:
            self.store_down_admitted = tick("store_down_admitted")
            self.store_down_refused = tick("store_down_refused")
            self.store_busy_refused = tick("store_busy_refused")
        else:  # memory never fails: no series for what cannot happen
            self.store_down_admitted = self.store_down_refused = self.store_busy_refused = (
                itertools.count().__next__
            )
