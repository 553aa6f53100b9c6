"""The memory:// hit path: answered before the miss handling, its headers made once per second.

A hit's headers are memoised by (Cache-Status, Age, ttl) and its Prometheus count is a
gateway.Tally's (flushed before each scrape); these tests pin what a client and /metrics
see, second by second.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.testing import gateway_app
from gateway_plugins.crypto import proxy, views
from gateway_plugins.crypto.keys import PROXY, STATS
from gateway_plugins.crypto.validation import markets_question, price_question
from tests.crypto.conftest import MakeClient, crypto_config, crypto_subapp
from tests.crypto.fake_coingecko import FakeCoinGecko

QUERY = "ids=bitcoin&vs_currencies=usd"
PRICE = f"/v1/crypto/price?{QUERY}"
TTL = 60


async def _stored_at(client: TestClient, key: str = price_question(QUERY).key) -> float:
    entry = await crypto_subapp(client)[PROXY].store.get(key)
    assert entry is not None
    return entry.response_time


def _clock(monkeypatch: pytest.MonkeyPatch, now: float) -> None:
    # The view reads the clock once for a hit's freshness and its headers; the proxy's own
    # (for what is not a hit) must agree with it.
    clock = SimpleNamespace(time=lambda: now)
    monkeypatch.setattr(views, "time", clock)
    monkeypatch.setattr(proxy, "time", clock)


@pytest.mark.parametrize(
    ("after", "age", "ttl"),
    [(0.0, "0", 60), (0.4, "0", 60), (1.0, "1", 59), (1.7, "1", 59), (59.9, "59", 1)],
)
async def test_hit_headers_follow_the_entry_age(
    make_client: MakeClient,
    fake: FakeCoinGecko,
    monkeypatch: pytest.MonkeyPatch,
    after: float,
    age: str,
    ttl: int,
):
    client = await make_client(ttl=TTL)
    await client.get(PRICE)
    _clock(monkeypatch, await _stored_at(client) + after)
    for _ in range(2):  # the second is answered from the memoised headers
        hit = await client.get(PRICE)
        assert hit.status == 200
        assert hit.headers["Cache-Status"] == f"gateway; hit; ttl={ttl}"
        assert hit.headers["Age"] == age
        # max-age is the lifetime as stored, Age the time since (RFC 9111 §4.2.3).
        assert hit.headers["Cache-Control"] == f"max-age={TTL}"
        names = [name.decode() for name, _ in hit.raw_headers]
        assert names[:4] == ["Cache-Status", "Age", "Cache-Control", "Content-Type"]
        assert hit.headers["Content-Type"] == "application/json"
        assert hit.headers["X-Request-Id"]
        assert await hit.json() == {"bitcoin": {"usd": 67187.33}}
    assert fake.calls["/simple/price"] == 1


async def test_an_expired_entry_is_not_a_hit(
    make_client: MakeClient, fake: FakeCoinGecko, monkeypatch: pytest.MonkeyPatch
):
    client = await make_client(ttl=TTL, stale_while_revalidate=0)
    await client.get(PRICE)
    _clock(monkeypatch, await _stored_at(client) + TTL)
    again = await client.get(PRICE)
    assert again.headers["Cache-Status"] == "gateway; fwd=stale; stored"
    assert fake.calls["/simple/price"] == 2


async def test_negative_hits_keep_their_own_headers(
    make_client: MakeClient, fake: FakeCoinGecko, monkeypatch: pytest.MonkeyPatch
):
    client = await make_client(not_found_ttl=TTL)
    query = "vs_currency=xyz"
    first = await client.get(f"/v1/crypto/markets?{query}")
    assert first.status == 422
    _clock(monkeypatch, await _stored_at(client, markets_question(query).key) + 1.5)
    for _ in range(2):  # the problem's headers are its own: never the memoised ones
        hit = await client.get(f"/v1/crypto/markets?{query}")
        assert hit.status == 422
        assert hit.headers["Cache-Status"] == f"gateway; hit; ttl={TTL - 1}"
        assert hit.headers["Age"] == "1"
        assert hit.headers["Cache-Control"] == f"max-age={TTL}"
        assert hit.content_type == "application/problem+json"
    assert fake.calls["/coins/markets"] == 1


async def _scraped_hits(client: TestClient) -> float:
    """gateway_crypto_cache_hits_total as a scrape of /metrics sees it."""
    scrape = await client.get("/metrics")
    assert scrape.status == 200
    for family in text_string_to_metric_families(await scrape.text()):
        if family.name == "gateway_crypto_cache_hits":
            return sum(s.value for s in family.samples if s.name.endswith("_total"))
    raise AssertionError("no gateway_crypto_cache_hits_total in /metrics")


async def test_each_hit_is_counted_once(aiohttp_client: Any, fake: FakeCoinGecko):
    config = crypto_config(fake, ttl=TTL)
    config["gateway"] = {"metrics": True}
    client = await aiohttp_client(await gateway_app(config))
    await client.get(PRICE)
    before = await _scraped_hits(client)
    for _ in range(3):
        await client.get(PRICE)
    # Counted with a tally (one call into C): the scrape flushes it first.
    assert await _scraped_hits(client) == before + 3
    assert crypto_subapp(client)[STATS].hits == 3
    health = await (await client.get("/health")).json()
    upstream = next(c for c in health["checks"].values() if "cacheHitRatio" in str(c))
    assert '"hits": 3' in json.dumps(upstream), upstream
    assert '"cacheHitRatio": 0.75' in json.dumps(upstream), upstream  # 3 hits, 1 miss
