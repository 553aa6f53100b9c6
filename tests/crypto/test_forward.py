"""CoinGecko's own v3 paths under the prefix: forwarded, normalised, cached, or refused."""

from __future__ import annotations

import asyncio

import pytest

from gateway.config import ConfigError
from gateway.testing import gateway_app
from tests.crypto.conftest import MakeClient, crypto_config
from tests.crypto.fake_coingecko import FakeCoinGecko


async def test_a_trailing_slash_is_the_same_path_and_entry(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(**backend)
    first = await client.get("/v1/crypto/coins/bitcoin/?localization=false")
    assert first.status == 200
    assert (await first.json())["id"] == "bitcoin"
    assert first.headers["Cache-Status"] == "gateway; fwd=miss; stored"
    # The curated route asks CoinGecko the same question: the same entry.
    curated = await client.get("/v1/crypto/coins/bitcoin?localization=false")
    assert curated.headers["Cache-Status"].startswith("gateway; hit; ttl=")
    assert await curated.read() == await first.read()
    assert fake.calls == {"/coins/bitcoin": 1}  # sent upstream without the slash


async def test_curated_and_forwarded_prices_share_entries(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client()
    forwarded = await client.get("/v1/crypto/simple/price?vs_currencies=usd&ids=bitcoin")
    assert await forwarded.json() == {"bitcoin": {"usd": 67187.33}}
    curated = await client.get("/v1/crypto/price?ids=bitcoin&vs_currencies=usd")
    assert curated.headers["Cache-Status"].startswith("gateway; hit")
    assert fake.calls["/simple/price"] == 1


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/v1/crypto/coins/list", "/coins/list"),
        ("/v1/crypto/coins/list/", "/coins/list"),
        ("/v1/crypto/coins/markets?vs_currency=usd", "/coins/markets"),
        ("/v1/crypto/coins/categories", "/coins/categories"),
        ("/v1/crypto/coins/top_gainers_losers?vs_currency=usd", "/coins/top_gainers_losers"),
    ],
)
async def test_coingecko_paths_under_coins_are_not_coin_ids(
    make_client: MakeClient, fake: FakeCoinGecko, path: str, upstream: str
):
    client = await make_client()
    response = await client.get(path)
    assert response.status == 200, await response.text()
    assert fake.calls == {upstream: 1}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/crypto/",
        "/v1/crypto/key",  # the account's usage: never forwarded by default
        "/v1/crypto/nonsense",
        "/v1/crypto/coins",
        "/v1/crypto/coins//bitcoin",
        "/v1/crypto/coins/bit%20coin/tickers",
        "/v1/crypto/coins/..%2F..%2Fkey/tickers",
        "/v1/crypto/coins/bit%2Fcoin/tickers",
        "/v1/crypto/exchanges/binance%2ftickers",
        "/v1/crypto/simple",
        "/v1/crypto/a/b/c/d/e/f/g/h/i",
    ],
)
async def test_paths_of_no_family_are_404_without_a_call(
    make_client: MakeClient, fake: FakeCoinGecko, path: str
):
    client = await make_client()
    response = await client.get(path)
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    assert fake.total_calls == 0


async def test_query_order_does_not_matter_and_values_are_kept(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client()
    chart = "/v1/crypto/coins/bitcoin/market_chart"
    first = await client.get(f"{chart}?vs_currency=usd&days=1")
    second = await client.get(f"{chart}/?days=1&vs_currency=usd")
    assert first.status == second.status == 200
    assert second.headers["Cache-Status"].startswith("gateway; hit")
    assert fake.calls["/coins/bitcoin/market_chart"] == 1
    assert (await client.get("/v1/crypto/search?query=Bit")).status == 200
    assert fake.seen[-1].query == {"query": "Bit"}  # a search is sent as typed


async def test_bad_queries_are_422_without_a_call(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    many = "&".join(f"p{n}=1" for n in range(40))
    long_value = "x" * 2000
    for query in (many, f"query={long_value}"):
        response = await client.get(f"/v1/crypto/search?{query}")
        assert response.status == 422
        assert response.content_type == "application/problem+json"
        assert (await response.json())["errors"]
    assert fake.total_calls == 0


async def test_only_get_and_head(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    assert (await client.post("/v1/crypto/coins/list")).status == 405
    # The plugin's own routes keep their methods: GET /info is no CoinGecko path.
    for method, path, allowed in (
        ("GET", "/v1/crypto/info", {"POST"}),
        ("OPTIONS", "/v1/crypto/info", {"POST"}),
        ("POST", "/v1/crypto/price", {"GET", "HEAD"}),
    ):
        refused = await client.request(method, path)
        assert refused.status == 405, (method, path)
        assert set(refused.headers["Allow"].split(",")) == allowed
    head = await client.head("/v1/crypto/ping")
    assert head.status == 200
    assert head.headers["Cache-Status"] == "gateway; fwd=miss; stored"


async def test_the_ttl_of_a_family_is_configurable(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client(ttl=60, paths={"/coins/list": 0.2, "/exchanges/{exchange}": 0})
    list_again = "/v1/crypto/coins/list"
    first = await client.get(list_again)
    assert first.headers["Cache-Control"] == "max-age=0"
    assert (await client.get(list_again)).headers["Cache-Status"].startswith("gateway; hit")
    await asyncio.sleep(0.3)
    stale = await client.get(list_again)  # served at once, refreshed in the background
    assert stale.headers["Cache-Status"].startswith("gateway; hit; detail=revalidating")
    await asyncio.sleep(0.1)
    assert fake.calls["/coins/list"] == 2
    # 0: forwarded, never stored. "{exchange}" replaces the default "{id}".
    for _ in range(2):
        response = await client.get("/v1/crypto/exchanges/binance")
        assert response.headers["Cache-Status"] == "gateway; fwd=miss"
    assert fake.calls["/exchanges/binance"] == 2
    # The default of /coins/{id}/history (an hour) is untouched.
    history = await client.get("/v1/crypto/coins/bitcoin/history?date=30-12-2024")
    assert history.headers["Cache-Control"] == "max-age=3600"


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ({"coins/list": 10}, "must start with /"),
        ({"/coins/*/tickers": 10}, "* may only be the last segment"),
        ({"/coins/{id": 10}, "is neither a literal"),
        ({"/coins/list": -1}, "the ttl must be 0 to"),
    ],
)
async def test_bad_families_are_config_errors(fake: FakeCoinGecko, paths, message: str):
    with pytest.raises(ConfigError) as error:
        await gateway_app(crypto_config(fake, paths=paths))
    assert "plugins.crypto.paths" in str(error.value)
    assert message in str(error.value)
