"""The host's memory store (gateway.MemoryCacheStore), the cache plugin's and crypto's: values
kept for their time to live, read without a coroutine, at most ``max_bytes`` in all with the
least recently used dropped first; and what a Redis store writes, read back as it was."""

from __future__ import annotations

from gateway import MemoryCacheStore, OriginFailure, StoredResponse, decode_entry, encode_entry


def entry(body: bytes = b"{}") -> StoredResponse:
    return StoredResponse(200, (("Content-Type", "application/json"),), body, 0.0, 1000.0)


async def test_peek_reads_without_a_coroutine_and_expired_values_are_dropped():
    now = [100.0]
    store = MemoryCacheStore(1 << 20, clock=lambda: now[0])
    await store.set("a", entry(b"A"), 10)
    await store.set("b", entry(b"B"), 20)
    assert store.peek("a") == entry(b"A") and await store.get("b") == entry(b"B")
    now[0] = 110.0
    assert store.peek("a") is None  # gone exactly at its time to live
    assert len(store) == 1
    assert store.peek("b") == entry(b"B")
    assert await store.set("c", entry(), 0) is False  # nothing kept for no time
    assert store.peek("c") is None


async def test_past_max_bytes_the_least_recently_used_go_first():
    one = entry(b"x" * 1000)
    store = MemoryCacheStore(one.size * 3 + 100)
    for key in ("k1", "k2", "k3"):
        assert await store.set(key, one, 60)
    assert store.peek("k1") is not None  # k1 is now the most recently used
    assert await store.set("k4", one, 60)
    assert [store.peek(k) is not None for k in ("k1", "k2", "k3", "k4")] == [
        True,
        False,
        True,
        True,
    ]
    assert store.stored_bytes <= store.max_bytes
    too_big = entry(b"x" * (store.max_bytes + 1))
    assert await store.set("huge", too_big, 60) is False  # never stored, nothing evicted for it
    assert len(store) == 3


async def test_failures_are_stored_and_encoded_as_they_were():
    failure = OriginFailure("timeout", None, "10s, naïve", 1000.5, 1005.5)
    rejected = OriginFailure("status", 503, "", 1000.0, 1001.0)
    for value in (failure, rejected):
        assert decode_entry(encode_entry(value)) == value
    store = MemoryCacheStore(1 << 20)
    await store.set("k#failed", failure, 5)
    assert store.peek("k#failed") == failure
    # Bytes written by something else are a miss, never an error.
    assert decode_entry(b"O\x00") is None
    assert decode_entry(b'{"written": "by something else"}') is None
