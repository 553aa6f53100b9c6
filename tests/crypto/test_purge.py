"""An operator purges crypto's stored answers as the cache plugin's: by key or by prefix under
/_gateway/plugins/crypto/entries, in memory and on Redis, described in /openapi.json."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.testing import gateway_app
from tests.crypto.conftest import MakeClient, crypto_config
from tests.crypto.fake_coingecko import FakeCoinGecko

PURGE = "/_gateway/plugins/crypto/entries"
PRICE = "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"
EURO = "/v1/crypto/simple/price?ids=bitcoin&vs_currencies=eur"
COIN = "/v1/crypto/coins/bitcoin"


async def statuses(client: Any, *paths: str) -> list[str]:
    """Each answer's Cache-Status, up to its first parameter (hit, fwd=miss, ...)."""
    seen = []
    for path in paths:
        async with client.get(path) as response:
            assert response.status == 200, await response.text()
            seen.append(response.headers["Cache-Status"].split(";")[1].strip())
    return seen


async def test_purge_by_key_then_by_prefix(make_client: MakeClient, fake: FakeCoinGecko, backend):
    client = await make_client(**backend)
    assert await statuses(client, PRICE, EURO, COIN) == ["fwd=miss"] * 3
    assert await statuses(client, PRICE, EURO, COIN) == ["hit"] * 3

    # Keys are CoinGecko's paths with their queries sorted, whichever route asked.
    key = "/simple/price?ids=bitcoin&vs_currencies=usd"
    async with client.delete(PURGE, params={"key": key}) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert await response.json() == {"purged": 1, "key": key}
    assert await statuses(client, PRICE, EURO, COIN) == ["fwd=miss", "hit", "hit"]
    assert fake.calls == {"/simple/price": 3, "/coins/bitcoin": 1}

    async with client.delete(PURGE, params={"prefix": "/simple/"}) as response:
        assert (await response.json())["purged"] == 2
    assert await statuses(client, PRICE, EURO, COIN) == ["fwd=miss", "fwd=miss", "hit"]
    assert fake.calls == {"/simple/price": 5, "/coins/bitcoin": 1}


async def test_a_purged_prefix_forgets_its_remembered_failures(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client(failure_ttl=60)
    fake.fail(503)
    async with client.get(COIN) as response:
        assert response.status == 502
    async with client.get(COIN) as response:  # remembered: CoinGecko is not asked again
        assert response.status == 502
    assert fake.calls == {"/coins/bitcoin": 1}
    fake.ok()
    async with client.delete(PURGE, params={"prefix": "/coins/bitcoin"}) as response:
        assert (await response.json())["purged"] == 1  # the failure, <key>#failed
    assert await statuses(client, COIN) == ["fwd=miss"]


@pytest.mark.parametrize(
    "params",
    [{}, {"key": "/ping", "prefix": "/"}, {"prefix": "simple"}],
    ids=["neither", "both", "no-slash"],
)
async def test_an_unclear_purge_is_a_400_problem(
    make_client: MakeClient, gateway_problem: Any, params: dict[str, str]
):
    client = await make_client()
    async with client.delete(PURGE, params=params) as response:
        await gateway_problem(response, 400)


async def test_openapi_describes_the_purge(aiohttp_client: Any, fake: FakeCoinGecko):
    config = crypto_config(fake)
    config["plugins"]["coins"] = {"plugin": "crypto", "prefix": "/coins", "base_url": fake.url}
    client = await aiohttp_client(await gateway_app(config))
    async with client.get("/openapi.json") as response:
        paths = (await response.json())["paths"]
    for instance in ("crypto", "coins"):  # each instance its own purge, described
        purge = paths[f"/_gateway/plugins/{instance}/entries"]["delete"]
        assert {"200", "400"} <= set(purge["responses"])
        described = {p["name"]: p["description"] for p in purge["parameters"] if "name" in p}
        assert "CoinGecko" in described["key"]
    async with client.delete("/_gateway/plugins/coins/entries", params={"prefix": "/"}) as r:
        assert await r.json() == {"purged": 0, "prefix": "/"}
