"""Verified tokens, remembered until they expire, in bounded memory.

A client sends the same token for minutes: the signature is checked once, then each request
costs one dict lookup of the ``Authorization`` value and a clock read. When the cache is full,
the oldest entry is forgotten (insertion order: a dict keeps it for free, and the oldest
entries are also the first to expire).
"""

from __future__ import annotations

from gateway_plugins.jwt.verifier import TokenVerdict


class VerifiedTokens:
    def __init__(self, size: int) -> None:
        self.size = size
        # The Authorization field's whole value -> the verdict.
        self.entries: dict[str, TokenVerdict] = {}

    def remember(self, value: str, verdict: TokenVerdict) -> None:
        if self.size == 0:
            return
        entries = self.entries
        if value not in entries and len(entries) >= self.size:
            del entries[next(iter(entries))]
        entries[value] = verdict

    def __len__(self) -> int:
        return len(self.entries)
