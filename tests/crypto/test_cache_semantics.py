"""Hits, misses, coalescing, expiry, stale-if-error, the 429 window and negative caching.

Every test runs against the memory backend and against the real Redis (``backend``).
"""

from __future__ import annotations

import asyncio

import pytest

from gateway_plugins.crypto.keys import STATS
from tests.crypto.conftest import MakeClient, crypto_subapp
from tests.crypto.fake_coingecko import FakeCoinGecko

PRICE = "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"
BITCOIN_USD = {"bitcoin": {"usd": 67187.33}}
# Short clocks keep the suite fast; every wait below is a small multiple of these.
TTL = 0.3
PAST_TTL = 0.4
# The synchronous paths (a request that finds a stale entry waits for the refresh, and each
# request after a failure tries again): tests/crypto/test_quota.py covers the others.
WAIT = {"stale_while_revalidate": 0, "failure_ttl": 0}


async def test_miss_then_hit_with_headers(make_client: MakeClient, fake: FakeCoinGecko, backend):
    client = await make_client(ttl=60, **backend)

    first = await client.get(PRICE)
    assert first.status == 200
    assert await first.json() == BITCOIN_USD
    assert first.headers["Cache-Status"] == "gateway; fwd=miss; stored"
    assert first.headers["Age"] == "0"
    assert first.headers["Cache-Control"] == "max-age=60"
    assert first.content_type == "application/json"

    second = await client.get(PRICE)
    assert second.status == 200
    assert await second.read() == await first.read()
    assert second.headers["Cache-Status"] in ("gateway; hit; ttl=60", "gateway; hit; ttl=59")
    assert second.headers["Age"] == "0"
    assert second.headers["Cache-Control"] in ("max-age=60", "max-age=59")
    assert fake.calls["/simple/price"] == 1


async def test_equal_questions_share_one_entry(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(**backend)
    variants = [
        "ids=bitcoin,ethereum&vs_currencies=usd,eur",
        "vs_currencies=EUR,usd&ids=ethereum,Bitcoin",
        "ids=ethereum&ids=bitcoin,bitcoin&vs_currencies=usd&vs_currencies=eur,",
        "ids=%20bitcoin%20,ethereum&vs_currencies=eur,usd&include_market_cap=false",
    ]
    statuses = []
    for query in variants:
        response = await client.get(f"/v1/crypto/price?{query}")
        assert response.status == 200, await response.text()
        statuses.append(response.headers["Cache-Status"].split(";")[1].strip())
    assert statuses == ["fwd=miss", "hit", "hit", "hit"]
    assert fake.calls["/simple/price"] == 1
    assert fake.seen[0].query == {"ids": "bitcoin,ethereum", "vs_currencies": "eur,usd"}


async def test_concurrent_misses_make_one_upstream_call(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(**backend)
    fake.slow(0.3)
    async with asyncio.timeout(10):
        responses = await asyncio.gather(*(client.get(PRICE) for _ in range(50)))
    assert [r.status for r in responses] == [200] * 50
    assert fake.calls["/simple/price"] == 1
    statuses = sorted(r.headers["Cache-Status"] for r in responses)
    assert statuses.count("gateway; fwd=miss; stored") == 1
    assert statuses.count("gateway; fwd=miss; stored; collapsed") == 49


async def test_expiry_refreshes_once(make_client: MakeClient, fake: FakeCoinGecko, backend):
    client = await make_client(ttl=TTL, **WAIT, **backend)
    assert (await client.get(PRICE)).headers["Cache-Status"] == "gateway; fwd=miss; stored"
    assert (await client.get(PRICE)).headers["Cache-Status"].startswith("gateway; hit; ttl=")
    await asyncio.sleep(PAST_TTL)
    fake.set_price("bitcoin", "usd", 70000.0)
    refreshed = await client.get(PRICE)
    assert refreshed.headers["Cache-Status"] == "gateway; fwd=stale; stored"
    assert await refreshed.json() == {"bitcoin": {"usd": 70000.0}}
    assert (await client.get(PRICE)).headers["Cache-Status"].startswith("gateway; hit; ttl=")
    assert fake.calls["/simple/price"] == 2


FAILURES = {
    # kind: (how to break the fake, the Cache-Status reason, the status with no stale entry)
    "timeout": (lambda f: f.hang(), "detail=timeout", 504),
    "500": (lambda f: f.fail(500), "fwd-status=500", 502),
    "503": (lambda f: f.fail(503), "fwd-status=503", 502),
    "429": (lambda f: f.rate_limit("1"), "fwd-status=429", 503),
    "html": (lambda f: f.html(), "fwd-status=200; detail=invalid-response", 502),
    "wrong-shape": (lambda f: f.wrong_shape(), "fwd-status=200; detail=invalid-response", 502),
}


@pytest.mark.parametrize("kind", FAILURES)
async def test_stale_if_error(make_client: MakeClient, fake: FakeCoinGecko, backend, kind: str):
    client = await make_client(ttl=TTL, timeout=0.3, **WAIT, **backend)
    original = await (await client.get(PRICE)).read()
    await asyncio.sleep(PAST_TTL)
    breaks, reason, _ = FAILURES[kind]
    breaks(fake)
    async with asyncio.timeout(5):
        stale = await client.get(PRICE)
    assert stale.status == 200
    assert await stale.read() == original
    cache_status = stale.headers["Cache-Status"]
    assert cache_status.startswith(f"gateway; fwd=stale; {reason}; ttl=-"), cache_status
    assert int(stale.headers["Age"]) >= 0
    # max-age is the lifetime as stored (0.3 s: 0 whole seconds), Age the time since.
    assert stale.headers["Cache-Control"] == "max-age=0"
    assert fake.calls["/simple/price"] == 2


@pytest.mark.parametrize("kind", FAILURES)
async def test_error_without_stale_entry(
    make_client: MakeClient, fake: FakeCoinGecko, backend, kind: str
):
    client = await make_client(timeout=0.3, **backend)
    breaks, reason, status = FAILURES[kind]
    breaks(fake)
    async with asyncio.timeout(5):
        response = await client.get(PRICE)
    assert response.status == status
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["status"] == status
    assert problem["instance"] == "/v1/crypto/price"
    assert response.headers["Cache-Status"] == f"gateway; fwd=miss; {reason}"
    assert response.headers["Cache-Control"] == "no-store"
    if status == 503:
        assert response.headers["Retry-After"] == "1"
        assert problem["retry_after"] == 1


async def test_unreachable_upstream_is_502_or_stale(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(ttl=TTL, **WAIT, **backend)
    assert (await client.get(PRICE)).status == 200
    await fake.server.close()  # nothing listens there any more
    await asyncio.sleep(PAST_TTL)
    stale = await client.get(PRICE)
    assert stale.status == 200
    assert stale.headers["Cache-Status"].startswith("gateway; fwd=stale; detail=connection-failed")
    missing = await client.get("/v1/crypto/price?ids=ethereum&vs_currencies=usd")
    assert missing.status == 502
    assert "could not be reached" in (await missing.json())["detail"]


async def test_stale_entries_expire_after_stale_ttl(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(ttl=0.2, stale_ttl=0.2, **backend)
    assert (await client.get(PRICE)).status == 200
    await asyncio.sleep(0.5)
    fake.fail(500)
    response = await client.get(PRICE)
    assert response.status == 502
    assert response.headers["Cache-Status"] == "gateway; fwd=miss; fwd-status=500"


async def test_rate_limit_window_blocks_calls(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(**backend)
    fake.rate_limit("1")
    limited = await client.get(PRICE)
    assert limited.status == 503
    assert limited.headers["Retry-After"] == "1"
    assert fake.calls["/simple/price"] == 1

    fake.ok()  # CoinGecko would answer again, but the window is still open: no call at all
    other = await client.get("/v1/crypto/coins/ethereum")
    assert other.status == 503
    assert other.headers["Retry-After"] == "1"
    assert other.headers["Cache-Status"] == "gateway; detail=rate-limited"
    assert fake.total_calls == 1

    await asyncio.sleep(1.1)
    assert (await client.get("/v1/crypto/coins/ethereum")).status == 200
    assert fake.total_calls == 2


async def test_rate_limit_without_retry_after_waits_60s(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(**backend)
    fake.rate_limit(None)
    assert (await client.get(PRICE)).headers["Retry-After"] == "60"
    fake.ok()
    later = await client.get("/v1/crypto/markets?vs_currency=usd")
    assert later.status == 503
    assert int(later.headers["Retry-After"]) in (59, 60)
    assert fake.total_calls == 1


async def test_rate_limit_window_serves_stale(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(ttl=TTL, **WAIT, **backend)
    assert (await client.get(PRICE)).status == 200
    await asyncio.sleep(PAST_TTL)
    fake.rate_limit("5")
    got_429 = await client.get(PRICE)
    assert got_429.status == 200
    assert got_429.headers["Cache-Status"].startswith("gateway; fwd=stale; fwd-status=429; ttl=-")
    in_window = await client.get(PRICE)
    assert in_window.status == 200
    assert in_window.headers["Cache-Status"].startswith("gateway; hit; detail=rate-limited; ttl=-")
    assert fake.calls["/simple/price"] == 2


async def test_unknown_coin_is_a_cached_404(make_client: MakeClient, fake: FakeCoinGecko, backend):
    client = await make_client(not_found_ttl=TTL, **backend)
    first = await client.get("/v1/crypto/coins/bitcoinn")
    assert first.status == 404
    assert first.content_type == "application/problem+json"
    problem = await first.json()
    assert problem["upstream_error"] == "coin not found"
    assert first.headers["Cache-Status"] == "gateway; fwd=miss; fwd-status=404; stored"
    again = await client.get("/v1/crypto/coins/bitcoinn")
    assert again.status == 404
    assert again.headers["Cache-Status"].startswith("gateway; hit; ttl=")
    assert fake.calls["/coins/bitcoinn"] == 1
    await asyncio.sleep(PAST_TTL)
    fake.fail(500)  # an expired 404 is not served stale: the failure shows
    assert (await client.get("/v1/crypto/coins/bitcoinn")).status == 502
    assert fake.calls["/coins/bitcoinn"] == 2


async def test_unsupported_currency_is_a_cached_422(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(**backend)
    for _ in range(3):
        response = await client.get("/v1/crypto/markets?vs_currency=xyz")
        assert response.status == 422
        assert (await response.json())["upstream_error"] == "invalid vs_currency"
    assert fake.calls["/coins/markets"] == 1


async def test_stats_count_what_happened(make_client: MakeClient, fake: FakeCoinGecko, backend):
    client = await make_client(ttl=TTL, **WAIT, **backend)
    stats = crypto_subapp(client)[STATS]
    fake.slow(0.2)
    async with asyncio.timeout(5):
        await asyncio.gather(*(client.get(PRICE) for _ in range(10)))
    await client.get(PRICE)
    await asyncio.sleep(PAST_TTL)
    fake.fail(500)
    await client.get(PRICE)
    fake.rate_limit("5")
    await client.get(PRICE)  # no window yet: this call gets the 429 and opens one
    await client.get(PRICE)  # and this one makes no call
    assert stats.snapshot() == {
        "hits": 1,
        "misses": 13,
        "stale_serves": 3,
        "coalesced_waits": 9,
        "upstream_calls": 3,
        "upstream_429s": 1,
        "upstream_failures": 1,
        "remembered_failures": 0,
        "circuit_refusals": 0,
    }


async def test_memory_holds_at_most_cache_max_memory(make_client: MakeClient, fake: FakeCoinGecko):
    # Room for two price entries (each its body, key and bookkeeping: about 135 bytes).
    client = await make_client(cache_max_memory=300)
    coins = ("bitcoin", "ethereum", "tether")
    for coin in coins:
        first = await client.get(f"/v1/crypto/price?ids={coin}&vs_currencies=usd")
        assert first.headers["Cache-Status"] == "gateway; fwd=miss; stored"
    # The least recently used went first: bitcoin's entry made room for tether's.
    statuses = {}
    for coin in ("tether", "ethereum", "bitcoin"):
        again = await client.get(f"/v1/crypto/price?ids={coin}&vs_currencies=usd")
        assert again.status == 200
        statuses[coin] = again.headers["Cache-Status"].split(";")[1].strip()
    assert statuses == {"tether": "hit", "ethereum": "hit", "bitcoin": "fwd=miss"}
    assert fake.calls["/simple/price"] == 4
