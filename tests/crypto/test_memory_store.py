"""The crypto plugin's memory store answers as aiocache's SimpleMemoryCache does, for the same
calls in the same order, and drops what expired."""

import asyncio
import random

from aiocache import Cache

from gateway_plugins.crypto.memory import SWEEP_EVERY, MemoryStore


async def test_the_same_calls_get_the_same_answers_as_aiocache():
    ours = MemoryStore()
    theirs = Cache(Cache.MEMORY, timeout=None)
    chance = random.Random(7)
    keys = [f"k{i}" for i in range(6)]
    for step in range(300):
        key = chance.choice(keys)
        action = chance.random()
        if action < 0.45:
            value = (step, key)
            ttl = chance.choice([None, 0.02, 0.05, 5.0])
            assert await ours.set(key, value, ttl=ttl) == await theirs.set(key, value, ttl=ttl)
        elif action < 0.9:
            assert await ours.get(key) == await theirs.get(key), f"step {step}: {key}"
        elif action < 0.97:
            assert await ours.delete(key) == await theirs.delete(key)
        else:
            await asyncio.sleep(0.03)  # let short entries expire on both
    for key in keys:
        assert await ours.get(key) == await theirs.get(key)
    await asyncio.sleep(0.06)
    for key in keys:
        assert await ours.get(key) == await theirs.get(key)
    assert await ours.clear() == await theirs.clear()
    assert [await ours.get(k) for k in keys] == [None] * len(keys)


async def test_peek_reads_without_a_coroutine_and_expired_entries_are_dropped():
    now = [100.0]
    store = MemoryStore(clock=lambda: now[0])
    await store.set("a", "A", ttl=10)
    await store.set("b", "B")
    assert store.peek("a") == "A" and store.peek("b") == "B"
    now[0] = 110.0
    assert store.peek("a") is None  # expired exactly at its time to live, as aiocache's timer
    assert len(store) == 1
    assert store.peek("b") == "B"


async def test_keys_never_read_again_do_not_grow_the_memory():
    now = [0.0]
    store = MemoryStore(clock=lambda: now[0])
    for i in range(SWEEP_EVERY * 5):
        await store.set(f"key{i}", i, ttl=1)
        now[0] += 0.01  # each entry lives for 100 writes
    assert len(store) <= 100 + SWEEP_EVERY
