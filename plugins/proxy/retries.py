"""The retry budget: retries stay a bounded share of the requests sent.

Each request deposits ``ratio`` tokens (up to a cap); each retry withdraws one. With a ratio of
at most 1 the retries never outnumber the requests, so a failing upstream sees at most twice
its usual load, never a storm of ``retries`` times it.
"""

from __future__ import annotations

from dataclasses import dataclass

_CAP = 100.0


@dataclass
class RetryBudget:
    ratio: float
    tokens: float = 0.0

    def deposit(self) -> None:
        self.tokens = min(_CAP, self.tokens + self.ratio)

    def withdraw(self) -> bool:
        """Take one retry from the budget; ``False`` when it is spent."""
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True
