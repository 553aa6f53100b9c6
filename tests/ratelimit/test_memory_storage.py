"""The memory storage's counters: counted on the event loop, expired ones swept by the plugin,
and no limits timer thread started per 10 ms (which stalled the event loop's thread)."""

import asyncio
import math
import random
import threading
import time

import pytest
from limits import parse
from limits.storage import MemoryStorage

from gateway_plugins.ratelimit.limiter import (
    MEMORY_STRATEGIES,
    CompiledPolicy,
    RequestCounter,
    SweptMemoryStorage,
    open_storage,
)
from gateway_plugins.ratelimit.settings import RateLimitSettings


async def test_memory_counts_without_a_timer_thread_and_sweeps_expired_counters():
    settings = RateLimitSettings(limits=["2/second"])
    counter = RequestCounter(settings, open_storage(settings))
    policy = CompiledPolicy.of("default", settings.limits, settings.by)
    before = {t.ident for t in threading.enumerate()}
    verdicts = [await counter.count(policy, "ip:127.0.0.1") for _ in range(3)]
    assert [v.admitted for v in verdicts] == [True, True, False]
    assert verdicts[1].windows[0].remaining == 0
    started = [t for t in threading.enumerate() if t.ident not in before]
    assert started == [], f"the storage started threads: {started}"
    storage = counter.storage
    assert storage.storage, "the counters are in memory"
    await asyncio.sleep(2.2 * parse("1/second").get_expiry())  # past the window and the one before
    storage.sweep()
    assert not storage.storage and not storage.expirations
    # Counting starts again from zero.
    assert (await counter.count(policy, "ip:127.0.0.1")).admitted


def test_counter_keys_are_the_ones_limits_makes():
    # Keys are cached per caller (limiter._with_cached_keys); Redis is shared with processes
    # of other versions during a rolling upgrade, so the key must stay limits' own.
    policy = CompiledPolicy.of("default", ["60/minute", "5/second; 1000/day"], "identity")
    for rate in policy.rates:
        plain = parse(rate.label)
        assert rate.item == plain and rate.item.get_expiry() == plain.get_expiry()
        for caller in ("ip:127.0.0.1", "id:ci", "ip:::1"):
            assert rate.item.key_for("default", caller) == plain.key_for("default", caller)
            assert rate.item.key_for("default", caller) == plain.key_for("default", caller)
    # The cached items do not take the place of limits' own granularities.
    assert type(parse("3/minute")).__module__ == "limits.limits"


def test_sliding_window_keys_are_the_ones_limits_makes():
    # The memory storage remembers a sliding window's two keys (limiter._window_keys); they
    # must be limits' own at any time, a window's edges and times before 1970 included, or a
    # caller's counts would move to other keys.
    swept = SweptMemoryStorage()
    key = parse("5/second").key_for("default", "ip:127.0.0.1")
    times = [0.0, 0.5, 59.999999, 60.0, 60.000001, -30.0, 1_000_000_000.37, 1_733_000_059.9999999]
    draws = random.Random(3)  # one seeded generator, so the 200 times differ and repeat
    times += [draws.uniform(0, 2e9) for _ in range(200)]
    for expiry in (1, 7, 60, 3600, 86400):
        for at in times:
            expected = MemoryStorage.sliding_window_keys(key, expiry, at)
            assert swept.sliding_window_keys(key, expiry, at) == expected, (expiry, at)


async def test_a_refusal_names_the_full_window_that_frees_last():
    # After one request both windows are full; the second is refused by the per-second rate,
    # but a client retrying after one second would be refused by the per-minute one.
    settings = RateLimitSettings(limits=["1/second", "1/minute"])
    counter = RequestCounter(settings, open_storage(settings))
    policy = CompiledPolicy.of("default", settings.limits, settings.by)
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
    policy = CompiledPolicy.of("default", settings.limits, settings.by)
    verdicts = [await counter.count(policy, "ip:127.0.0.1") for _ in range(3)]
    assert [v.admitted for v in verdicts] == [True, False, False]
    # The fields keep the configured order; only the first request counted per minute.
    assert [(w.rate.label, w.remaining) for w in verdicts[-1].windows] == [
        ("3/minute", 2),
        ("1/second", 0),
    ]


@pytest.mark.parametrize("strategy", ["sliding-window", "fixed-window", "moving-window"])
@pytest.mark.parametrize("limits", [["5/second"], ["3/second", "7/5 seconds"], ["0/second"]])
def test_counts_match_limits_own_strategy(monkeypatch, strategy, limits):
    # The counter calls limits' storage directly and takes a window's figures from the hit's
    # own read (limiter.RequestCounter.count_rate); limits' strategy, hit then
    # get_window_stats, on a storage of its own must give the same answers, the previous
    # window's weight included. A fake clock: the two are asked at the very same times.
    clock = [1_000_000_000.37]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    settings = RateLimitSettings(limits=limits, strategy=strategy)
    counter = RequestCounter(settings, open_storage(settings))
    policy = CompiledPolicy.of("default", settings.limits, settings.by)
    reference = MEMORY_STRATEGIES[strategy](SweptMemoryStorage())
    steps = random.Random(7)
    for _ in range(300):
        clock[0] += steps.choice([0.0, 0.01, 0.05, 0.2, 0.7, 1.3])
        verdict = counter.count_in_memory(policy, "ip:127.0.0.1")
        admitted = True
        for rate in policy.hit_order:
            admitted = reference.hit(rate.item, "default", "ip:127.0.0.1")
            if not admitted:
                break
        expected = []
        for rate in policy.rates:
            stats = reference.get_window_stats(rate.item, "default", "ip:127.0.0.1")
            expected.append((stats.remaining, max(0, math.ceil(stats.reset_time - clock[0]))))
        assert verdict.admitted == admitted
        assert [(w.remaining, w.reset) for w in verdict.windows] == expected
