"""How many messages one live socket may send: a sliding-window counter per socket.

The counter is ``limits``' (constant time and memory per socket, whatever the rate).

A client subscribes once and changes its subscription now and then; a socket sending
subscription after subscription (to junk ids, say) costs the feed validation, refusals and
upstream fetches. Past ``ws_message_rate`` each message is refused with a short error, and a
socket that keeps sending refused messages (``ws_refused_before_close`` in a row) is closed
with 1008 (policy violation).
"""

from __future__ import annotations

import itertools
import time

from limits import RateLimitItem, parse as parse_rate
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

NAMESPACE = "crypto-live"


class MessageRate:
    """The per-socket message limit of one price feed (in this process's memory: a socket
    lives in one process)."""

    def __init__(self, rate: str, refused_before_close: int) -> None:
        self.rate: RateLimitItem = parse_rate(rate)
        self.refused_before_close = refused_before_close
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._numbers = itertools.count()

    def new_socket(self) -> str:
        """A key for one more socket's window."""
        return str(next(self._numbers))

    async def admit(self, socket: str) -> bool:
        """Count one message of ``socket``; False when it is over the rate."""
        return await self._limiter.hit(self.rate, NAMESPACE, socket)

    async def retry_after(self, socket: str) -> int:
        """Whole seconds until ``socket`` may send again (at least 1)."""
        stats = await self._limiter.get_window_stats(self.rate, NAMESPACE, socket)
        return max(1, int(stats.reset_time - time.time() + 0.999))

    async def forget(self, socket: str) -> None:
        await self._limiter.clear(self.rate, NAMESPACE, socket)

    def describe(self) -> str:
        """The rate in words: ``30 per minute``, ``5 per 2 seconds``."""
        unit = self.rate.GRANULARITY.name
        count = self.rate.multiples
        window = unit if count == 1 else f"{count} {unit}s"
        return f"{self.rate.amount} per {window}"
