"""The circuit in front of CoinGecko: after repeated failures no call at all for a while.

Closed, every fill may call. After ``failures`` failed calls in a row (timeouts, refused
connections, 5xx, unusable answers; not a 404 or a 429, which have their own memories) it
opens: no call is made for ``open_for`` seconds, and requests are answered from stale entries
or with a 503 saying when to retry. Then it half-opens: exactly one call (the probe) may go;
others are still refused while it runs. The probe's success closes the circuit; its failure
opens it again for twice as long, up to ``max_open_for``.

It is this process's own state: with N gateway processes CoinGecko sees at most N probes per
period. The log gets one line when the circuit opens and one when CoinGecko answers again,
whatever the number of requests or probes in between (the probes' failures are debug lines).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

log = logging.getLogger("gateway_plugins.crypto.circuit")

State = Literal["closed", "open", "half-open"]


class Circuit:
    """Whether a call to the upstream may be made now; told the outcome of each call made."""

    def __init__(
        self,
        failures: int,
        open_for: float,
        max_open_for: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = failures
        self.base_open_for = open_for
        self.max_open_for = max(max_open_for, open_for)
        self._clock = clock
        self.state: State = "closed"
        self.consecutive_failures = 0
        self.open_for = open_for
        self._until = 0.0
        self._probing = False

    def admit(self) -> bool:
        """Whether a call may be made now; in half-open state only the first asker's."""
        if self.state == "closed":
            return True
        if self.state == "open":
            if self._clock() < self._until:
                return False
            self.state = "half-open"
            self._probing = False
        if self._probing:
            return False
        self._probing = True
        return True

    def remaining(self) -> float:
        """Seconds until a probe may go (0 when closed, or when a probe may go now)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self._until - self._clock())

    def succeeded(self) -> None:
        """A call answered (with data, a rejection or a 429): CoinGecko is there."""
        self.consecutive_failures = 0
        if self.state != "closed":
            log.warning(
                "CoinGecko answers again: circuit closed, calls resume (it was open for "
                "%gs at the last failed probe)",
                self.open_for,
            )
            self.state = "closed"
            self.open_for = self.base_open_for
            self._probing = False

    def failed(self, description: str) -> None:
        """A call failed; ``description`` (which may name the upstream's address) is logged
        when this failure opens the circuit."""
        self.consecutive_failures += 1
        if self.state == "half-open":
            self.open_for = min(self.open_for * 2, self.max_open_for)
            self._open()
            log.debug("CoinGecko probe failed (%s); no call for %gs", description, self.open_for)
        elif self.state == "closed" and self.consecutive_failures >= self.threshold:
            self._open()
            log.warning(
                "CoinGecko failed %d times in a row (last: %s): circuit open, no call for %gs, "
                "then one probe; stale entries answer meanwhile",
                self.consecutive_failures,
                description,
                self.open_for,
            )

    def abandoned(self) -> None:
        """An admitted call ended with no outcome (cancelled): let another probe go."""
        if self.state == "half-open":
            self._probing = False

    def _open(self) -> None:
        self.state = "open"
        self._probing = False
        self._until = self._clock() + self.open_for
