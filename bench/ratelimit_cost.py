"""What one request's count costs in memory: the plugin's own counter, and limits' public API.

This measures the count alone, outside any server: the plugin's own
``RequestCounter.count_rate``, as its middleware calls it for a one-rate policy (one caller, a
limit no request reaches), in a loop: one call of the memory counter that gives limits'
answers (``gateway.MemoryCounts``). Beside it, the same count through limits'
public API on limits' own memory storage, as the plugin counted before it had its own counter:
the strategy's ``hit`` then its ``get_window_stats``.
The result is set against the CPU time of one bare aiohttp request from the last
``bench/run.py`` (``bench/results/latest.json``) when there is one, since that is the budget
the goals are measured in.

    python bench/ratelimit_cost.py
    python bench/ratelimit_cost.py --counts 50000 --repeats 9
    python bench/ratelimit_cost.py --instructions    # callgrind: does not move with the load

``--instructions`` counts with valgrind's callgrind instead of timing: this script's loop run
twice, with no counts and with ``--counts``, and the difference divided by their number. Set it
against bench/instructions.py's bare aiohttp request (about 215k instructions).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path
from typing import get_args

from limits import strategies as limits_strategies
from limits.storage import MemoryStorage

from gateway_plugins.ratelimit.limiter import (
    CompiledRates,
    CountOne,
    Rate,
    RequestCounter,
    open_storage,
)
from gateway_plugins.ratelimit.settings import RateLimitSettings

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT / "bench" / "results" / "latest.json"
CALLER = "ip:127.0.0.1"  # an anonymous caller, as ratelimit names one by its address
POLICY = "default"  # the policy's name, as the plugin's own limits name it
# Who counts: the plugin's own counter, or limits' strategy on limits' memory storage.
COUNTERS = ("own", "limits")
LIMITS_STRATEGY = {
    "sliding-window": limits_strategies.SlidingWindowCounterRateLimiter,
    "fixed-window": limits_strategies.FixedWindowRateLimiter,
    "moving-window": limits_strategies.MovingWindowRateLimiter,
}


def _counter(strategy: str, counter: str = "own") -> tuple[CountOne, Rate]:
    """The memory count under ``strategy`` and the one rate it counts, warmed up."""
    settings = RateLimitSettings(limits=["1000000000/minute"], strategy=strategy)
    rate = CompiledRates.of(POLICY, settings.limits, settings.by).single
    assert rate is not None
    count: CountOne | None
    if counter == "own":
        count = RequestCounter(settings, open_storage(settings)).count_rate
    else:
        count = _limits_count(LIMITS_STRATEGY[strategy](MemoryStorage()))
    assert count is not None
    for _ in range(1000):  # the caller's counters and cached keys exist, as under load
        count(rate, POLICY, CALLER)
    return count, rate


def _limits_count(limiter: limits_strategies.RateLimiter) -> CountOne:
    """One count through limits' public API, as the middleware needs its figures."""

    def count(rate: Rate, name: str, caller: str) -> tuple[bool, int, int]:
        admitted = limiter.hit(rate.item, name, caller)
        stats = limiter.get_window_stats(rate.item, name, caller)
        return admitted, stats.remaining, max(0, math.ceil(stats.reset_time - time.time()))

    return count


def per_count(strategy: str, counter: str, counts: int, repeats: int) -> float:
    """Median microseconds of one count under ``strategy``, over ``repeats`` loops."""
    count, rate = _counter(strategy, counter)
    # A statement, not a lambda: timeit's own loop, as the --instructions loop runs it.
    names = {"count": count, "rate": rate, "policy": POLICY, "caller": CALLER}
    loops = timeit.repeat(
        "count(rate, policy, caller)", number=counts, repeat=repeats, globals=names
    )
    return statistics.median(loops) / counts * 1e6


def instructions_per_count(strategy: str, counter: str, counts: int) -> float:
    """Instructions of one count under ``strategy``, by callgrind (two runs, subtracted)."""
    collected = []
    for number in (0, counts):
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        command += [sys.executable, __file__, "--loop", f"{counter}:{strategy}"]
        command += ["--counts", str(number)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        assert found, done.stderr[-2000:]
        collected.append(int(found.group(1)))
    return (collected[1] - collected[0]) / counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, default=20000, help="counts per loop")
    parser.add_argument("--repeats", type=int, default=7, help="loops; the median is shown")
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    parser.add_argument("--loop", help=argparse.SUPPRESS)  # callgrind's side: one loop
    args = parser.parse_args()
    if args.loop:
        counter, _, strategy = args.loop.partition(":")
        count, rate = _counter(strategy, counter)
        for _ in range(args.counts):
            count(rate, POLICY, CALLER)
        return
    strategies = [
        strategy
        for strategy in get_args(RateLimitSettings.model_fields["strategy"].annotation)
        # One entry per admitted request, kept for the window: a loop this long under a
        # limit no request reaches would measure a list of tens of thousands of entries.
        if strategy != "moving-window"
    ]
    if args.instructions:
        print(f"instructions per count (callgrind), {args.counts} counts")
        print(f"{'strategy':<16} {'own counter':>12} {'limits API':>11}")
        for strategy in strategies:
            own, public = (
                instructions_per_count(strategy, counter, args.counts) / 1000
                for counter in COUNTERS
            )
            print(f"{strategy:<16} {own:>11.1f}k {public:>10.1f}k")
        return
    bare = None
    if LATEST.exists():
        bare = json.loads(LATEST.read_text()).get("bare-aiohttp", {}).get("cpu_us_per_request")
    print(f"one count, median of {args.repeats} loops of {args.counts}")
    print(
        f"{'strategy':<16} {'counter':<8} {'us/count':>9}" + (" of a bare request" if bare else "")
    )
    for strategy in strategies:
        for counter in COUNTERS:
            us = per_count(strategy, counter, args.counts, args.repeats)
            line = f"{strategy:<16} {counter:<8} {us:>9.2f}"
            if bare:
                line += f" {us / bare:>18.2f}"
            print(line)
    if bare:
        print(f"(a bare aiohttp request: {bare:.1f} us of CPU in the last bench/run.py)")


if __name__ == "__main__":
    main()
