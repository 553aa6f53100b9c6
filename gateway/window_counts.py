"""Rate counting in this process's memory: limits' three strategies, as its ``MemoryStorage``
counts. The ratelimit plugin counts requests with it, the auth plugin wrong keys.

Each class gives, for one window length, the answers of one of limits' strategies on
``limits.storage.MemoryStorage``: its ``hit`` and then its ``get_window_stats`` at the same
moment, as ``(admitted, remaining, seconds to reset)`` (``stats``: ``get_window_stats`` alone).
tests/ratelimit/test_memory_counts.py holds them to limits' public API over random sequences
of hits. They are ours rather than limits' for their cost: limits' memory storage starts a
timer thread (or, async, a task) to expire its counters and formats two window keys per
count, where these drop expired callers as they count (:class:`RecentCallers`) and make no
window key; a sliding-window count is 15.2k instructions here, 76.8k through limits' public
API (bench/ratelimit_cost.py). The arithmetic is limits' own, operation for operation, so
that floating point rounds the same. Without locks: count from the event loop's thread only.

The install compiles this module with mypyc (setup.py) where a C compiler is found: a count is
then 7.2k instructions. It must stay a module mypyc compiles: the standard library only, and
types precise enough to be native (tests/ratelimit/test_compiled_counts.py holds the compiled
and the Python module to the same answers).

The moving window's one difference: with nothing in the window its reset is the window's
length, limits' answer for a new caller and for one whose old entries its timer has swept
(limits answers 0 for entries not yet swept).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from math import ceil, floor, inf
from typing import Any


class WindowCount:
    """One window's count of a caller and the moment it expires: limits' counter key and its
    expiry. A class of its own rather than a list, so that the compiled module (below) reads
    both as C fields."""

    __slots__ = ("count", "expires")

    def __init__(self, count: int, expires: float) -> None:
        self.count = count
        self.expires = expires


class RecentCallers:
    """Callers' counters, each dropped at the latest two spans after its last count.

    Two generations of dicts: counting moves a caller to the young one; once a span has
    passed, the young become the old and the old are dropped, all at once. A caller is thus
    dropped between ``span`` and ``2 * span`` seconds after its last count, without a timer or
    a sweep of every counter; memory holds the callers of the last two spans.
    """

    __slots__ = ("old", "rotate_at", "span", "young")

    def __init__(self, span: float) -> None:
        self.span = span
        self.rotate_at = -inf
        self.young: dict[str, Any] = {}
        self.old: dict[str, Any] = {}

    def find(self, key: str, now: float) -> Any:
        """The counters of ``key``, kept young, or None when it has none (or they were dropped)."""
        if now >= self.rotate_at:
            self.rotate(now)
        young = self.young
        state = young.get(key)
        if state is None:
            state = self.old.pop(key, None)
            if state is not None:
                young[key] = state
        return state

    def rotate(self, now: float) -> None:
        """The young become the old, a span after the last rotation."""
        # A span without counts drops both generations: all their callers are older.
        self.old = self.young if now < self.rotate_at + self.span else {}
        self.young = {}
        self.rotate_at = now + self.span

    def __len__(self) -> int:
        return len(self.young) + len(self.old)


class SlidingWindowCounts(RecentCallers):
    """limits' ``SlidingWindowCounterRateLimiter`` on ``MemoryStorage``, for one window length.

    A caller's counters are a dict of window number to :class:`WindowCount`, as limits keeps
    one key per window (``key/number``); a window's counter expires twice its length after its
    first count, when limits' does.
    """

    __slots__ = ("window",)

    def __init__(self, window: int) -> None:
        # Dropped once its newest counter has expired (2 windows), and a window more, so that
        # no rounding of the times can drop a counter limits would still read.
        super().__init__(3 * window)
        self.window = window

    def count(self, key: str, limit: int, now: float) -> tuple[bool, int, int]:
        """limits' ``hit`` (``acquire_sliding_window_entry``) then ``get_window_stats``.

        The hot path of every counted request, written for few bytecodes with limits'
        arithmetic kept (floats round the same): ``floor(w) < limit`` is ``w < limit`` for an
        integer ``limit``, a count is never below 0, and a reset in ``now + r - now`` with
        ``r >= 0`` is never below 0, so the ``max(0, ...)`` and ``floor`` calls those would
        guard are left out where they cannot change the answer.
        """
        expiry = self.window
        # RecentCallers.find, inline: a count is the hot path, and a call costs a frame.
        if now >= self.rotate_at:
            self.rotate(now)
        windows: dict[int, WindowCount] | None = self.young.get(key)
        if windows is None:
            windows = self.young[key] = self.old.pop(key, None) or {}
        # limits' TimestampedSlidingWindow.sliding_window_keys and _get_sliding_window_info.
        previous_position = (now - expiry) / expiry
        position = now / expiry
        previous = windows.get(int(previous_position))
        previous_count = 0
        previous_ttl = 0.0
        if previous is not None and previous.expires > now:
            previous_count = previous.count
            previous_ttl = (1 - (previous_position % 1)) * expiry
        number = int(position)
        current = windows.get(number)
        if current is not None and current.expires <= now:
            current = None  # expired: limits' get() drops it, and incr starts it again
        current_count = current.count if current is not None else 0
        # The previous window's count as it weighs now: limits' weighted count is this plus
        # the current window's, the same sum in the same order (so rounded alike).
        carried = previous_count * previous_ttl / expiry
        weighted = carried + current_count
        admitted = False
        if weighted < limit:  # floor(weighted) < limit; False for a limit below 1
            if current is None:
                if len(windows) > 1:  # a new window: forget the expired ones
                    for gone in [n for n, c in windows.items() if c.expires <= now]:
                        del windows[gone]
                current = windows[number] = WindowCount(0, now + 2 * expiry)
            current_count = current.count = current_count + 1
            if current_count == 1:
                current.expires = now + 2 * expiry
            weighted = carried + current_count
            if weighted >= limit + 1:  # floor(weighted) > limit: limits takes it back
                current_count = current.count = current_count - 1
                weighted = carried + current_count
            else:
                admitted = True
        # _sliding_stats, inline: a count is the hot path.
        remaining = limit - int(weighted)  # int() is floor() for a count, never below 0
        if remaining < 0:
            remaining = 0
        current_ttl = (1 - (position % 1)) * expiry + expiry
        if previous_count:
            previous_reset_in = previous_ttl % (expiry / previous_count)
            if current_count:
                current_reset_in = current_ttl % expiry
                if current_reset_in < previous_reset_in:
                    return admitted, remaining, ceil(now + current_reset_in - now)
            return admitted, remaining, ceil(now + previous_reset_in - now)
        if current_count:
            return admitted, remaining, ceil(now + current_ttl % expiry - now)
        return admitted, remaining, 0

    def stats(self, key: str, limit: int, now: float) -> tuple[int, int]:
        """limits' ``get_window_stats``: (remaining, seconds to reset)."""
        expiry = self.window
        windows = self.find(key, now) or {}
        previous = windows.get(int((now - expiry) / expiry))
        previous_count = previous.count if previous is not None and previous.expires > now else 0
        current = windows.get(int(now / expiry))
        current_count = current.count if current is not None and current.expires > now else 0
        previous_ttl = (
            0.0 if previous_count == 0 else (1 - (((now - expiry) / expiry) % 1)) * expiry
        )
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        weighted = previous_count * previous_ttl / expiry + current_count
        return _sliding_stats(
            limit, expiry, now, previous_count, previous_ttl, current_count, current_ttl, weighted
        )


def _sliding_stats(
    limit: int,
    expiry: int,
    now: float,
    previous_count: int,
    previous_ttl: float,
    current_count: int,
    current_ttl: float,
    weighted: float,
) -> tuple[int, int]:
    """limits' SlidingWindowCounterRateLimiter.get_window_stats, its reset as seconds."""
    remaining = max(0, limit - floor(weighted))
    if not (previous_count or current_count):
        return remaining, 0
    previous_reset_in = previous_ttl % (expiry / previous_count) if previous_count else inf
    current_reset_in = current_ttl % expiry if current_count else inf
    # limits' reset time is a moment (now + ...); from it, the seconds as the plugin gives them.
    return remaining, max(0, ceil(now + min(previous_reset_in, current_reset_in) - now))


class FixedWindowCounts(RecentCallers):
    """limits' ``FixedWindowRateLimiter`` on ``MemoryStorage``, for one window length: a
    caller's window starts at its first count and lasts ``window`` seconds (not the clock's)."""

    __slots__ = ("window",)

    def __init__(self, window: int) -> None:
        super().__init__(2 * window)  # a window, and a window's margin (SlidingWindowCounts)
        self.window = window

    def count(self, key: str, limit: int, now: float) -> tuple[bool, int, int]:
        """limits' ``hit`` (``incr``, refused ones counted too) then ``get_window_stats``."""
        if now >= self.rotate_at:  # RecentCallers.find, inline (SlidingWindowCounts.count)
            self.rotate(now)
        young = self.young
        counter: WindowCount | None = young.get(key)
        if counter is None:
            counter = self.old.pop(key, None)
            if counter is not None:
                young[key] = counter
        if counter is None or counter.expires <= now:
            counter = young[key] = WindowCount(1, now + self.window)
        else:
            counter.count += 1
        count = counter.count
        return count <= limit, max(0, limit - count), max(0, ceil(counter.expires - now))

    def stats(self, key: str, limit: int, now: float) -> tuple[int, int]:
        """limits' ``get_window_stats``: (remaining, seconds to reset)."""
        counter = self.find(key, now)
        if counter is None or counter.expires <= now:
            return max(0, limit), 0
        return max(0, limit - counter.count), max(0, ceil(counter.expires - now))


class MovingWindowCounts(RecentCallers):
    """limits' ``MovingWindowRateLimiter`` on ``MemoryStorage``, for one window length.

    A caller's entries are the times of its last ``limit`` admitted counts, oldest first:
    limits keeps older ones until its timer sweeps them, but only the ``limit``-th newest
    decides a count and none older is ever inside the window.
    """

    __slots__ = ("window",)

    def __init__(self, window: int) -> None:
        super().__init__(2 * window)  # a window, and a window's margin (SlidingWindowCounts)
        self.window = window

    def count(self, key: str, limit: int, now: float) -> tuple[bool, int, int]:
        """limits' ``hit`` (``acquire_entry``) then ``get_window_stats``."""
        entries: deque[float] | None = self.find(key, now)
        admitted = False
        if limit >= 1:
            if entries is None:
                entries = self.young[key] = deque(maxlen=limit)
            # limits refuses while its limit-th newest entry is inside the window.
            if len(entries) < limit or not entries[0] >= now - self.window:
                entries.append(now)
                admitted = True
        return (admitted, *self._stats(entries, limit, now))

    def stats(self, key: str, limit: int, now: float) -> tuple[int, int]:
        """limits' ``get_window_stats``: (remaining, seconds to reset)."""
        return self._stats(self.find(key, now), limit, now)

    def _stats(self, entries: deque[float] | None, limit: int, now: float) -> tuple[int, int]:
        # limits' get_moving_window: the entries after the window's start, and the oldest.
        if entries:
            first = bisect_right(entries, now - self.window)
            if first < len(entries):
                inside = len(entries) - first
                return limit - inside, max(0, ceil(entries[first] + self.window - now))
        return limit, self.window  # limits' answer for a caller without entries


WindowCounts = SlidingWindowCounts | FixedWindowCounts | MovingWindowCounts
COUNTS: dict[str, type[WindowCounts]] = {
    "sliding-window": SlidingWindowCounts,
    "fixed-window": FixedWindowCounts,
    "moving-window": MovingWindowCounts,
}


class MemoryCounts:
    """Every caller's counters in this process under one strategy: one table per window length.

    ``MemoryCounts("sliding-window").table(60).count(key, 100, time.time())`` counts one hit
    of ``key`` under 100 per minute and returns ``(admitted, remaining, seconds to reset)``;
    ``.stats(key, 100, now)`` reads ``(remaining, seconds to reset)`` without counting. Keys
    of rates with the same window and different amounts must differ (limits'
    ``RateLimitItem.key_for`` makes such keys).
    """

    def __init__(self, strategy: str) -> None:
        self.kind = COUNTS[strategy]
        self.tables: dict[int, WindowCounts] = {}

    def table(self, window: int) -> WindowCounts:
        """The counters of every rate whose window lasts ``window`` seconds."""
        table = self.tables.get(window)
        if table is None:
            table = self.tables[window] = self.kind(window)
        return table

    def __len__(self) -> int:
        """How many callers' counters are held (expired ones not yet dropped included)."""
        return sum(len(table) for table in self.tables.values())
