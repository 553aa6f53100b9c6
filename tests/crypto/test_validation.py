"""Input is checked and normalised before any upstream call; bad input is a 422 listing errors."""

from __future__ import annotations

import pytest

from gateway_plugins.crypto.validation import (
    coin_question,
    info_question,
    markets_question,
    price_question,
    subscription,
)
from tests.crypto.conftest import MakeClient
from tests.crypto.fake_coingecko import FakeCoinGecko


def test_price_is_normalised() -> None:
    question = price_question(
        "VS_CURRENCIES=usd,EUR&ids=Ethereum,bitcoin,ethereum&include_24hr_change=TRUE"
        "&include_market_cap=false&precision=04"
    )
    assert question.path == "/simple/price"
    assert question.params == {
        "ids": "bitcoin,ethereum",
        "include_24hr_change": "true",
        "precision": "4",
        "vs_currencies": "eur,usd",
    }
    assert question.key == (
        "/simple/price?ids=bitcoin,ethereum&include_24hr_change=true&precision=4"
        "&vs_currencies=eur,usd"
    )


def test_markets_fill_paging_defaults() -> None:
    plain = markets_question("vs_currency=usd")
    explicit = markets_question("page=1&per_page=100&order=market_cap_desc&vs_currency=USD")
    assert plain.key == explicit.key
    assert plain.params == {
        "order": "market_cap_desc",
        "page": "1",
        "per_page": "100",
        "vs_currency": "usd",
    }
    sparkline = markets_question("vs_currency=usd&sparkline=true&price_change_percentage=7d,1h")
    assert sparkline.params["sparkline"] == "true"
    assert sparkline.params["price_change_percentage"] == "1h,7d"


def test_coin_flags_at_their_default_are_dropped() -> None:
    assert coin_question("Bitcoin", "tickers=true&sparkline=false").key == "/coins/bitcoin"
    assert (
        coin_question("bitcoin", "tickers=false&localization=false").key
        == "/coins/bitcoin?localization=false&tickers=false"
    )


def test_info_body() -> None:
    assert info_question(b"").key == "/coins/bitcoin"
    assert info_question(b"  \n").key == "/coins/bitcoin"
    assert info_question(b"{}").key == "/coins/bitcoin"
    assert info_question(b'{"coin": " Ethereum "}').key == "/coins/ethereum"


def test_subscription() -> None:
    assert subscription({"subscribe": ["Ethereum", "bitcoin", "bitcoin"]}) == (
        ["bitcoin", "ethereum"],
        "usd",
    )
    assert subscription({"subscribe": [], "vs": "EUR"}) == ([], "eur")


BAD_QUERIES = [
    ("/price", "vs_currencies=usd", [("ids", "required")]),
    ("/price", "ids=bitcoin", [("vs_currencies", "required")]),
    ("/price", "ids=&vs_currencies=usd", [("ids", "must not be empty")]),
    ("/price", "ids=../admin&vs_currencies=usd", [("ids", "must be a CoinGecko id")]),
    ("/price", "ids=bitcoin&vs_currencies=us$", [("vs_currencies", "must be a currency")]),
    ("/price", "ids=bitcoin&vs_currencies=usd&foo=1", [("foo", "unknown parameter")]),
    (
        "/price",
        "ids=bitcoin&vs_currencies=usd&include_market_cap=yes",
        [("include_market_cap", "must be true or false")],
    ),
    ("/price", "ids=bitcoin&vs_currencies=usd&precision=19", [("precision", "must be full")]),
    (
        "/price",
        "ids=" + ",".join(f"c{i}" for i in range(51)) + "&vs_currencies=usd",
        [("ids", "at most 50 values")],
    ),
    (
        "/price",
        "ids=-a&vs_currencies=" + ",".join(f"c{i}" for i in range(11)),
        [
            ("ids", "must be a CoinGecko id"),
            ("vs_currencies", "at most 10 values"),
        ],
    ),
    ("/markets", "", [("vs_currency", "required")]),
    ("/markets", "vs_currency=usd,eur", [("vs_currency", "at most 1 value")]),
    ("/markets", "vs_currency=usd&per_page=251", [("per_page", "from 1 to 250")]),
    ("/markets", "vs_currency=usd&page=0", [("page", "from 1 to 10000")]),
    ("/markets", "vs_currency=usd&page=%C2%B2", [("page", "from 1 to 10000")]),
    ("/markets", "vs_currency=usd&page=1&page=2", [("page", "given more than once")]),
    ("/markets", "vs_currency=usd&order=random", [("order", "must be one of")]),
    (
        "/markets",
        "vs_currency=usd&price_change_percentage=2h",
        [("price_change_percentage", "must be among")],
    ),
    ("/coins/BIT%24COIN", "", [("id", "must be a CoinGecko id")]),
    ("/coins/bitcoin", "tickers=maybe", [("tickers", "must be true or false")]),
    ("/price", "ids=bitcoin&vs_currencies=usd&" + "x=1&" * 40, [("", "more than 32")]),
    ("/price", "ids=" + "a" * 5000 + "&vs_currencies=usd", [("", "longer than 4096")]),
]


@pytest.mark.parametrize(("path", "query", "expected"), BAD_QUERIES)
async def test_bad_queries_are_422_before_any_call(
    make_client: MakeClient, fake: FakeCoinGecko, path: str, query: str, expected
) -> None:
    client = await make_client()
    response = await client.get(f"/v1/crypto{path}?{query}")
    assert response.status == 422, await response.text()
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["status"] == 422
    assert problem["title"] == "Unprocessable Entity"
    got = [(error["parameter"], error["detail"]) for error in problem["errors"]]
    assert len(got) == len(expected), got
    for (name, detail), (want_name, want_detail) in zip(got, expected, strict=True):
        assert name == want_name
        assert want_detail in detail
    assert fake.total_calls == 0


@pytest.mark.parametrize(
    ("body", "pointer", "detail"),
    [
        (b"[1, 2]", "", "expected a JSON object"),
        (b'"bitcoin"', "", "expected a JSON object"),
        (b"null", "", "expected a JSON object"),
        (b'{"coin": 5}', "/coin", "must be a string"),
        (b'{"coin": "bit coin"}', "/coin", "must be a CoinGecko id"),
        (b'{"coin": "bitcoin", "currency": "usd"}', "/currency", "unknown field"),
    ],
)
async def test_bad_info_bodies_are_422(
    make_client: MakeClient, fake: FakeCoinGecko, body: bytes, pointer: str, detail: str
) -> None:
    client = await make_client()
    response = await client.post("/v1/crypto/info", data=body)
    assert response.status == 422, await response.text()
    errors = (await response.json())["errors"]
    assert errors[0]["pointer"] == f"#{pointer}"
    assert detail in errors[0]["detail"]
    assert fake.total_calls == 0


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe"])
async def test_info_body_that_is_not_json_is_400(
    make_client: MakeClient, fake: FakeCoinGecko, body: bytes
) -> None:
    client = await make_client()
    response = await client.post("/v1/crypto/info", data=body)
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["title"] == "Bad Request"
    assert "not valid JSON" in problem["detail"]
    assert fake.total_calls == 0


async def test_info_body_labelled_as_form_is_415(
    make_client: MakeClient, fake: FakeCoinGecko
) -> None:
    client = await make_client()
    response = await client.post(
        "/v1/crypto/info",
        data=b"coin=bitcoin",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 415
    assert response.headers["Accept-Post"] == "application/json"
    assert fake.total_calls == 0


async def test_oversized_info_body_is_413(make_client: MakeClient, fake: FakeCoinGecko) -> None:
    client = await make_client()
    response = await client.post("/v1/crypto/info", data=b" " * 5000)
    assert response.status == 413
    assert fake.total_calls == 0


async def test_answers_refused_before_the_cache_carry_no_cache_status(make_client):
    # docs/crypto.md: only answers that reached the cache say what the cache did.
    client = await make_client()
    refused = [
        await client.get("/v1/crypto/price?ids=bitcoin"),  # 422: vs_currencies missing
        await client.post(
            "/v1/crypto/info", data=b"coin=x", headers={"Content-Type": "text/plain"}
        ),
        await client.post("/v1/crypto/info", data=b"{" + b" " * 5000 + b"}"),  # 413
    ]
    assert [r.status for r in refused] == [422, 415, 413]
    assert all("Cache-Status" not in r.headers for r in refused)
    answered = await client.get("/v1/crypto/price?ids=bitcoin&vs_currencies=usd")
    assert answered.headers["Cache-Status"] == "gateway; fwd=miss; stored"
