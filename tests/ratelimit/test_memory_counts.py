"""The memory counters (gateway.window_counts, the ratelimit plugin's): the answers of limits' own
strategies on limits' memory storage, for any sequence of hits, with no thread, task or
coroutine per count and the counters of past callers dropped."""

import asyncio
import math
import threading
import time
from unittest import mock

from hypothesis import example, given, settings, strategies as st
from limits import parse, strategies as limits_strategies
from limits.storage import MemoryStorage

from gateway_plugins.ratelimit.limiter import CompiledRates, RequestCounter, open_storage
from gateway_plugins.ratelimit.settings import RateLimitSettings

LIMITS_STRATEGY = {
    "sliding-window": limits_strategies.SlidingWindowCounterRateLimiter,
    "fixed-window": limits_strategies.FixedWindowRateLimiter,
    "moving-window": limits_strategies.MovingWindowRateLimiter,
}
STRATEGIES = list(LIMITS_STRATEGY)
# One rate and several; windows of one second to an hour; an amount of 0, which refuses all.
POLICIES = [
    ["5/second"],
    ["1/second"],
    ["3/minute"],
    ["7/10 seconds"],
    ["3/second", "7/5 seconds"],
    ["10/minute", "2/second", "50/hour"],
    ["0/second"],
]
CALLERS = ["ip:127.0.0.1", "ip:::1", "id:ci"]


class FakeClock:
    """time.time for the test's own thread. limits' memory storage sweeps its counters from a
    timer thread at moments the test does not choose; that thread sees the clock at 0, before
    every counter's expiry, so its sweep removes nothing and limits' answers depend only on
    the hits (gateway.window_counts' docstring says where a swept limits would answer otherwise)."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.thread = threading.get_ident()

    def __call__(self) -> float:
        return self.now if threading.get_ident() == self.thread else 0.0


def limits_answers(reference, policy, caller, now):
    """limits' own answer, through its public API: each rate hit shortest window first until
    one refuses (as the plugin counts), then every rate's window stats."""
    admitted = True
    for rate in policy.hit_order:
        admitted = reference.hit(rate.item, policy.name, caller)
        if not admitted:
            break
    windows = []
    for rate in policy.rates:
        stats = reference.get_window_stats(rate.item, policy.name, caller)
        windows.append((stats.remaining, max(0, math.ceil(stats.reset_time - now))))
    return admitted, windows


# Hits exactly a window after the last: on the edge of a moving window's entry, of a fixed
# window's expiry and of a sliding window's numbering.
EDGES = [(0, "ip:::1"), (1024, "ip:::1"), (1024, "ip:::1"), (1, "ip:::1"), (2047, "ip:::1")]


@settings(max_examples=300, deadline=None)
@example(strategy="moving-window", limits=["1/second"], start=1_800_000_000.0, hits=EDGES)
@example(strategy="fixed-window", limits=["1/second"], start=1_800_000_000.0, hits=EDGES)
@example(strategy="sliding-window", limits=["1/second"], start=1_800_000_000.0, hits=EDGES)
@given(
    strategy=st.sampled_from(STRATEGIES),
    limits=st.sampled_from(POLICIES),
    start=st.sampled_from([1_000_000_000.37, 1_800_000_000.0, 1_733_000_059.9999999]),
    # Steps of 1/1024 s between two hits (bursts, steps inside a window, gaps of several
    # windows), and whose hit it is. From a whole second, the times are exact binary
    # fractions: hits then fall exactly on a window's edges and an entry's expiry.
    hits=st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from([0, 1, 1023, 1024, 1025, 61_439, 61_440]),
                st.integers(0, 4_000),
                st.integers(0, 200_000),
            ),
            st.sampled_from(CALLERS),
        ),
        min_size=1,
        max_size=60,
    ),
)
def test_counts_are_limits_own(strategy, limits, start, hits):
    clock = FakeClock(start)
    with mock.patch.object(time, "time", clock):
        options = RateLimitSettings(limits=limits, strategy=strategy)
        counter = RequestCounter(options, open_storage(options))
        policy = CompiledRates.of("default", options.limits, options.by)
        reference = LIMITS_STRATEGY[strategy](MemoryStorage())
        elapsed = 0
        for step, caller in hits:
            elapsed += step
            clock.now = start + elapsed / 1024
            verdict = counter.count_in_memory(policy, caller)
            admitted, expected = limits_answers(reference, policy, caller, clock.now)
            if strategy == "moving-window":
                # Nothing inside the window: limits' reset is the window's length for a caller
                # without entries, and 0 for one whose expired entries are not swept yet; the
                # plugin answers as limits does once they are (gateway.window_counts).
                expected = [
                    (remaining, rate.window if remaining == rate.item.amount else reset)
                    for rate, (remaining, reset) in zip(policy.rates, expected, strict=True)
                ]
            got = [(w.remaining, w.reset) for w in verdict.windows]
            assert (verdict.admitted, got) == (admitted, expected), (clock.now, caller)


async def test_counting_starts_no_thread_and_no_task():
    settings = RateLimitSettings(limits=["2/second"])
    counter = RequestCounter(settings, open_storage(settings))
    policy = CompiledRates.of("default", settings.limits, settings.by)
    threads = {t.ident for t in threading.enumerate()}
    tasks = asyncio.all_tasks()
    # Counted by a plain call: the middleware's count is no coroutine.
    verdicts = [counter.count_in_memory(policy, "ip:127.0.0.1") for _ in range(3)]
    assert [v.admitted for v in verdicts] == [True, True, False]
    assert verdicts[1].windows[0].remaining == 0
    assert {t.ident for t in threading.enumerate()} == threads
    assert asyncio.all_tasks() == tasks


def test_past_callers_are_dropped_as_counting_goes_on(monkeypatch):
    for strategy in STRATEGIES:
        clock = FakeClock(1_000_000_000.0)
        monkeypatch.setattr(time, "time", clock)
        settings = RateLimitSettings(limits=["5/second", "100/minute"], strategy=strategy)
        counter = RequestCounter(settings, open_storage(settings))
        policy = CompiledRates.of("default", settings.limits, settings.by)
        for n in range(5000):
            counter.count_in_memory(policy, f"ip:10.0.{n // 256}.{n % 256}")
        assert len(counter.storage) == 2 * 5000  # one per caller and window length
        # Callers keep coming, the first 5,000 do not: theirs are dropped within a few
        # windows (the longest is a minute), and no more than the recent ones are held.
        for second in range(1, 400):
            clock.now += 1
            counter.count_in_memory(policy, f"ip:192.0.2.{second % 50}")
        assert len(counter.storage) <= 2 * 50, strategy


def test_counter_keys_are_the_ones_limits_makes():
    # Keys are cached per caller (limiter._with_cached_keys); Redis is shared with processes
    # of other versions during a rolling upgrade, so the key must stay limits' own.
    policy = CompiledRates.of("default", ["60/minute", "5/second; 1000/day"], "identity")
    for rate in policy.rates:
        plain = parse(rate.label)
        assert rate.item == plain and rate.item.get_expiry() == plain.get_expiry()
        for caller in ("ip:127.0.0.1", "id:ci", "ip:::1"):
            assert rate.item.key_for("default", caller) == plain.key_for("default", caller)
            assert rate.item.key_for("default", caller) == plain.key_for("default", caller)
    # The cached items do not take the place of limits' own granularities.
    assert type(parse("3/minute")).__module__ == "limits.limits"


async def test_a_refusal_names_the_full_window_that_frees_last():
    # After one request both windows are full; the second is refused by the per-second rate,
    # but a client retrying after one second would be refused by the per-minute one.
    settings = RateLimitSettings(limits=["1/second", "1/minute"])
    counter = RequestCounter(settings, open_storage(settings))
    policy = CompiledRates.of("default", settings.limits, settings.by)
    # The sliding window's minute is the clock's: in its last seconds the per-minute count
    # frees within a second too, and both windows free at once.
    if time.time() % 60 > 57:
        await asyncio.sleep(60 - time.time() % 60 + 0.05)
    first, second = [await counter.count(policy, "ip:127.0.0.1") for _ in range(2)]
    assert first.admitted and not second.admitted
    assert [w.remaining for w in second.windows] == [0, 0]
    exhausted = second.exhausted
    assert exhausted is not None and exhausted.rate.label == "1/minute"
    assert exhausted.reset > 1


async def test_a_burst_refused_by_a_short_window_spends_no_long_window_quota():
    # Written long window first; counted short window first all the same.
    settings = RateLimitSettings(limits=["3/minute", "1/second"])
    counter = RequestCounter(settings, open_storage(settings))
    policy = CompiledRates.of("default", settings.limits, settings.by)
    verdicts = [await counter.count(policy, "ip:127.0.0.1") for _ in range(3)]
    assert [v.admitted for v in verdicts] == [True, False, False]
    # The fields keep the configured order; only the first request counted per minute.
    assert [(w.rate.label, w.remaining) for w in verdicts[-1].windows] == [
        ("3/minute", 2),
        ("1/second", 0),
    ]
