"""The wrong-key guard's counts: a slot reserved before a key is checked, kept if it was wrong.

Checking first and counting after lets every request of a concurrent burst (or of another
worker) pass the check before any of them is counted: 100 or 200 wrong keys all checked under
a limit of 10 (issue 34). So a request first *reserves* a slot under every window of
``max_failures`` for its address, in one atomic step that refuses when a window is full; only
then is its key checked, and a right key gives its slot back. At most ``limit`` keys from one
address are ever checked within a window, however many arrive at once.

The windows are moving windows, as ``limits`` counts them: a slot is a timestamp that counts
for ``window`` seconds. In memory (``storage = "memory://"``) they are this process's; in Redis
(``"redis://host:6379/0"``) a sorted set per address and window, reserved by one Lua script,
shared by every worker and instance. While Redis does not answer, the process's own memory
counts instead (logged once per outage), so the guard never switches off.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any

from limits import RateLimitItem

log = logging.getLogger("gateway_plugins.auth")

# Seconds Redis is left alone after it failed, so an outage costs no request a timeout but
# the first of every few seconds.
RETRY_AFTER_FAILURE = 5.0
# Redis connections per process, and the longest a check waits for one of them.
CONNECTIONS = 50
POOL_WAIT = 5.0

# KEYS: one sorted set per window; ARGV: now, member, then window and limit per key.
# Refuses (returning the seconds until the fullest window frees a slot) without adding to any
# window when one is full; otherwise adds the member to every window.
_RESERVE = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 1])
  local limit = tonumber(ARGV[2 * i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local free = tonumber(oldest[2]) + window - now
    if free > wait then wait = free end
  end
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('EXPIRE', key, tonumber(ARGV[2 * i + 1]) + 1)
end
return '0'
"""


@dataclass(frozen=True)
class Reservation:
    """A slot held under every window for one address; give it back with
    :meth:`FailureCounts.release` when the key turns out right."""

    keys: tuple[str, ...]
    member: str
    shared: bool


class Locked(Exception):
    """The address has used up ``max_failures``; ``retry`` is seconds until a slot frees."""

    def __init__(self, retry: int) -> None:
        super().__init__(retry)
        self.retry = retry


class FailureCounts:
    """Wrong-key slots per address under ``limits`` (``max_failures``), in memory or Redis."""

    def __init__(
        self,
        limits: Sequence[RateLimitItem],
        storage: str,
        key_prefix: str,
        timeout: float = 0.5,
    ) -> None:
        self.limits = list(limits)
        self.storage = storage
        self.shared = storage.startswith("redis")  # memory:// otherwise (settings.py)
        self.timeout = timeout
        self.key_prefix = key_prefix
        self.memory: dict[str, list[tuple[float, str]]] = {}
        self.redis: Any = None
        self.script: Any = None
        self.down_until = 0.0
        self.swept = 0.0

    async def start(self) -> None:
        if self.shared:
            import redis.asyncio as redis  # only when configured: memory needs no client

            # A burst waits (bounded) for one of the pool's connections: a busy pool is not
            # an outage (redis-py's default pool raises MaxConnectionsError instead).
            pool = redis.BlockingConnectionPool.from_url(
                self.storage,
                max_connections=CONNECTIONS,
                timeout=POOL_WAIT,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
            )
            self.redis = redis.Redis(connection_pool=pool)
            self.script = self.redis.register_script(_RESERVE)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()

    async def probe(self) -> bool:
        """Whether the storage answers now (a PING on Redis; memory always does), for /health
        and `gateway check --connect`: an outage shows there before a wrong key meets it.

        Bounded by twice ``timeout``. A Redis that failed is not asked again within
        ``RETRY_AFTER_FAILURE``; one that fails here is left alone by the key checks as well,
        as when a reservation finds it down.
        """
        if not self.shared:
            return True
        if self.redis is None or time.time() < self.down_until:
            return False
        try:
            async with asyncio.timeout(self.timeout * 2):
                await self.redis.ping()
        except Exception as exc:  # redis-py's errors, the timeout: any failure of the store
            self._storage_failed(exc)
            return False
        return True

    def _keys(self, address: str) -> list[tuple[str, int, int]]:
        return [
            (f"{self.key_prefix}:{limit.key_for('auth-failures', address)}", *_window(limit))
            for limit in self.limits
        ]

    async def reserve(self, address: str) -> Reservation:
        """Hold one slot for ``address`` under every window; raises :class:`Locked` (holding
        none) when a window is full."""
        keys = self._keys(address)
        member = uuid.uuid4().hex
        now = time.time()
        if self.script is not None and now >= self.down_until:
            args: list[Any] = [repr(now), member]
            for _, window, amount in keys:
                args += [window, amount]
            try:
                wait = float(await self.script(keys=[k for k, _, _ in keys], args=args))
            except Exception as exc:  # redis-py's errors, timeouts: the memory counts stand in
                self._storage_failed(exc)
            else:
                if wait > 0:
                    raise Locked(max(1, ceil(wait)))
                return Reservation(tuple(k for k, _, _ in keys), member, shared=True)
        return self._reserve_in_memory(keys, member, now)

    def _reserve_in_memory(
        self, keys: list[tuple[str, int, int]], member: str, now: float
    ) -> Reservation:
        # Synchronous: no other request runs between the check and the count.
        self._sweep(now)
        wait = 0.0
        for key, window, amount in keys:
            slots = self.memory.get(key)
            if slots:
                slots[:] = [slot for slot in slots if slot[0] > now - window]
                if len(slots) >= amount:
                    wait = max(wait, slots[0][0] + window - now)
        if wait > 0:
            raise Locked(max(1, ceil(wait)))
        for key, _, _ in keys:
            self.memory.setdefault(key, []).append((now, member))
        return Reservation(tuple(key for key, _, _ in keys), member, shared=False)

    async def release(self, reservation: Reservation) -> None:
        """Give a slot back: its key was right."""
        if reservation.shared:
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for key in reservation.keys:
                        pipe.zrem(key, reservation.member)
                    await pipe.execute()
            except Exception as exc:  # the slot expires with its window instead
                self._storage_failed(exc)
            return
        for key in reservation.keys:
            slots = self.memory.get(key)
            if slots:
                slots[:] = [slot for slot in slots if slot[1] != reservation.member]

    def _storage_failed(self, exc: Exception) -> None:
        if time.time() >= self.down_until:
            log.warning(
                "auth failures_storage does not answer (%s); wrong keys are counted in this "
                "process's memory for %gs",
                type(exc).__name__,
                RETRY_AFTER_FAILURE,
            )
        self.down_until = time.time() + RETRY_AFTER_FAILURE

    def _sweep(self, now: float) -> None:
        """Forget addresses whose slots have all expired, at most once a minute."""
        if now - self.swept < 60:
            return
        self.swept = now
        longest = max((_window(limit)[0] for limit in self.limits), default=0)
        for key in [
            k for k, slots in self.memory.items() if not slots or slots[-1][0] <= now - longest
        ]:
            del self.memory[key]


def _window(limit: RateLimitItem) -> tuple[int, int]:
    """(seconds, amount) of one ``max_failures`` rate."""
    return limit.get_expiry(), limit.amount
