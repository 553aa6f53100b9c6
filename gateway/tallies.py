"""Counts made on the request path, added to a prometheus-client counter in batches.

A labelled counter's ``inc()`` takes a lock and, under ``--workers`` (multi-process mode),
writes to a memory-mapped file: a few microseconds, too dear for a decision every request
makes (auth's, ratelimit's). A :class:`Tally` counts with one call into C instead:
``tally.tick()`` is ``itertools.count().__next__``, bound, so counting is 5 bytecodes and no
Python frame. What was ticked reaches the counter's labelled child in batches
(:func:`flush_tallies`): before every scrape of ``/metrics`` in the process that answers it,
every few seconds while the process serves (so that a scrape answered by another worker sees
this one's counts at most that late), and once more as the process stops serving (so a
worker's last counts reach the metrics folder before the master archives its files).

A tally's series exists from its first flush, at 0: a ``rate()`` sees its first count.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Not at run time: the gateway package imports this module, and prometheus-client must
    # not be imported before --workers' master sets PROMETHEUS_MULTIPROC_DIR (metrics.py).
    from prometheus_client import Counter

# Every tally made in this process, kept for good: its owner may keep only the tick (which
# holds the count, not the tally), and a counter never goes back. A gateway built but never
# served (gateway check, the master of --workers) makes a few that are never flushed.
_ALL: list[Tally] = []


class Tally:
    """One labelled series of ``counter``, counted by calling :attr:`tick` (no arguments).

    ``Tally(DECISIONS, "auth", "allowed", "public").tick`` is the callable to keep where the
    decision is made; tallies of the same counter and labels (two gateways in one process)
    add up in the one series. A counter without labels takes none: ``Tally(HITS)``.
    """

    __slots__ = (
        "_child",
        "_counter",
        "_flushed",
        "_labels",
        "_reads",
        "_ticks",
        "tick",
    )

    def __init__(self, counter: Counter, *labels: str) -> None:
        self._ticks = itertools.count()
        #: Count one: a C call (bound ``itertools.count.__next__``), no Python frame.
        self.tick = self._ticks.__next__
        self._counter = counter
        self._labels = labels
        self._child: Any = None
        self._reads = 0  # next() calls of our own, which are not counts
        self._flushed = 0
        _ALL.append(self)

    def count(self) -> int:
        """How many times :attr:`tick` was called, flushed or not."""
        # itertools.count offers no read without a step: read by stepping, and keep our own
        # steps out of the count.
        total = next(self._ticks) - self._reads
        self._reads += 1
        return total

    def flush(self) -> None:
        """Add what was counted since the last flush to the counter's series."""
        total = self.count()
        if self._child is None:
            # An unlabelled counter is its own one series (labels() refuses to be called).
            self._child = self._counter.labels(*self._labels) if self._labels else self._counter
        if total > self._flushed:
            self._child.inc(total - self._flushed)
            self._flushed = total


def flush_tallies() -> None:
    """Every tally's counts into its counter (the event loop's thread only)."""
    for tally in _ALL:
        tally.flush()
