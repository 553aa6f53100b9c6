"""The memory storage's counters: counted on the event loop, expired ones swept by the plugin,
and no limits timer thread started per 10 ms (which stalled the event loop's thread)."""

import asyncio
import threading

from limits import parse

from gateway_plugins.ratelimit.limiter import CompiledPolicy, RequestCounter, open_storage
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
