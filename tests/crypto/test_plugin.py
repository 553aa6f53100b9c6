"""The plugin as the host sees it: settings, endpoints, the API key, health."""

from __future__ import annotations

import logging

import pytest

from gateway.config import ConfigError
from gateway.testing import gateway_app
from gateway_plugins.crypto.settings import PRO_BASE_URL, PUBLIC_BASE_URL, CryptoSettings
from tests.crypto.conftest import MakeClient, crypto_config
from tests.crypto.fake_coingecko import FakeCoinGecko

SECRET = "CG-sup3r-s3cret-key"


async def test_info_without_body_is_bitcoin(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    response = await client.post("/v1/crypto/info")
    assert response.status == 200
    coin = await response.json()
    assert coin["id"] == "bitcoin"
    assert coin["market_data"]["current_price"]["usd"] == 67187.33
    # The same question as GET /coins/bitcoin: one entry, one call.
    again = await client.get("/v1/crypto/coins/bitcoin")
    assert again.headers["Cache-Status"].startswith("gateway; hit")
    assert fake.calls == {"/coins/bitcoin": 1}


async def test_info_names_a_coin(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    response = await client.post("/v1/crypto/info", json={"coin": "ethereum"})
    assert response.status == 200
    assert (await response.json())["id"] == "ethereum"
    missing = await client.post("/v1/crypto/info", json={"coin": "dogecoinn"})
    assert missing.status == 404


async def test_price_flags_pass_through(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    response = await client.get(
        "/v1/crypto/price?ids=bitcoin&vs_currencies=usd&include_market_cap=true"
        "&include_last_updated_at=true&precision=full"
    )
    assert response.status == 200
    assert set((await response.json())["bitcoin"]) == {"usd", "usd_market_cap", "last_updated_at"}
    assert fake.seen[-1].query == {
        "ids": "bitcoin",
        "include_last_updated_at": "true",
        "include_market_cap": "true",
        "precision": "full",
        "vs_currencies": "usd",
    }


async def test_markets(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    response = await client.get("/v1/crypto/markets?vs_currency=usd&per_page=2&page=1")
    assert response.status == 200
    rows = await response.json()
    assert [row["id"] for row in rows] == ["bitcoin", "ethereum"]
    assert fake.seen[-1].query == {
        "order": "market_cap_desc",
        "page": "1",
        "per_page": "2",
        "vs_currency": "usd",
    }


async def test_public_plan_sends_no_key(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    assert (await client.get("/v1/crypto/coins/bitcoin")).status == 200
    headers = {name.lower() for name in fake.headers_of_last()}
    assert not {"x-cg-demo-api-key", "x-cg-pro-api-key"} & headers


@pytest.mark.parametrize(
    ("plan", "header"), [("demo", "x-cg-demo-api-key"), ("pro", "x-cg-pro-api-key")]
)
async def test_key_header_by_plan(
    make_client: MakeClient,
    fake: FakeCoinGecko,
    caplog: pytest.LogCaptureFixture,
    plan: str,
    header: str,
):
    caplog.set_level(logging.DEBUG)
    client = await make_client(api_plan=plan, api_key=SECRET, timeout=0.3)
    assert (await client.get("/v1/crypto/coins/bitcoin")).status == 200
    sent = {name.lower(): value for name, value in fake.headers_of_last().items()}
    assert sent[header] == SECRET
    other = ({"x-cg-demo-api-key", "x-cg-pro-api-key"} - {header}).pop()
    assert other not in sent

    # Redacted everywhere the gateway shows or logs anything, failures included.
    fake.hang()
    assert (await client.get("/v1/crypto/coins/ethereum")).status == 504
    report = await (await client.get("/_gateway/plugins")).text()
    health = await (await client.get("/health")).text()
    assert SECRET not in report and "***" in report
    assert SECRET not in health
    assert SECRET not in caplog.text
    assert SECRET not in repr(CryptoSettings(api_plan=plan, api_key=SECRET))


def test_base_url_defaults_by_plan() -> None:
    assert CryptoSettings().upstream == PUBLIC_BASE_URL
    assert CryptoSettings(api_plan="demo", api_key="k").upstream == PUBLIC_BASE_URL
    assert CryptoSettings(api_plan="pro", api_key="k").upstream == PRO_BASE_URL
    assert CryptoSettings(base_url="http://127.0.0.1:9/api/v3/").upstream == (
        "http://127.0.0.1:9/api/v3"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"api_key": "k"}, 'api_plan is "public"'),
        ({"api_plan": "pro"}, "needs api_key"),
        ({"api_plan": "free"}, "api_plan"),
        ({"cache": "memcached://127.0.0.1"}, "'memcached' storage is not supported"),
        ({"cache": "memory://somewhere"}, "takes no host"),
        ({"cache": "redis:///0"}, "needs a host"),
        ({"cache": "redis://127.0.0.1:6379/zero"}, "must be a number"),
        ({"base_url": "ftp://example.com"}, "http:// or https://"),
        ({"ttl": 0}, "plugins.crypto.ttl"),
        ({"stale_ttl": -1}, "plugins.crypto.stale_ttl"),
        ({"timeout": 500}, "plugins.crypto.timeout"),
        ({"tll": 5}, "did you mean 'ttl'?"),
        ({"ws_message_rate": "lots"}, "'lots' is not a rate"),
        ({"ws_message_rate": "0/minute"}, "at least one message per window"),
        ({"ws_refused_before_close": 0}, "plugins.crypto.ws_refused_before_close"),
    ],
)
async def test_bad_settings_are_config_errors(settings: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        await gateway_app({"plugins": {"crypto": settings}})
    assert message in str(error.value)


async def test_health_reports_cache_and_upstream(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    body = await (await client.get("/health")).json()
    assert body["checks"]["crypto:cache"][0]["status"] == "pass"
    upstream = body["checks"]["crypto:upstream"][0]
    assert upstream["status"] == "pass"
    assert upstream["output"] == "no upstream call yet"
    assert fake.total_calls == 0  # health never spends quota

    fake.rate_limit("30")
    assert (await client.get("/v1/crypto/coins/bitcoin")).status == 503
    response = await client.get("/health")
    assert response.status == 200  # warn, never fail: stale entries still answer
    body = await response.json()
    assert body["status"] == "warn"
    upstream = body["checks"]["crypto:upstream"][0]
    assert upstream["status"] == "warn"
    assert "rate-limited" in upstream["output"]
    assert upstream["observedUnit"] == "s"
    assert upstream["stats"]["upstream_429s"] == 1
    assert fake.total_calls == 1


async def test_health_warns_after_a_failed_call(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    fake.fail(503)
    assert (await client.get("/v1/crypto/coins/bitcoin")).status == 502
    upstream = (await (await client.get("/health")).json())["checks"]["crypto:upstream"][0]
    assert upstream["status"] == "warn"
    assert upstream["lastOutcome"] == "answered 503"


async def test_health_warns_while_the_circuit_is_open(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client(circuit_failures=2, circuit_open_for=30)
    fake.fail(500)
    for path in ("/v1/crypto/coins/bitcoin", "/v1/crypto/global"):
        assert (await client.get(path)).status == 502
    response = await client.get("/health")
    assert response.status == 200  # warn, never fail: stale entries still answer
    upstream = (await response.json())["checks"]["crypto:upstream"][0]
    assert upstream["status"] == "warn"
    assert upstream["circuit"] == "open"
    assert upstream["output"].startswith("CoinGecko failing: circuit open after 2 failures")
    assert 29 <= upstream["observedValue"] <= 30
    assert upstream["stats"]["upstream_failures"] == 2
    assert fake.total_calls == 2


async def test_mounted_under_a_custom_prefix(aiohttp_client, fake: FakeCoinGecko):
    config = crypto_config(fake, prefix="/coins-api")
    client = await aiohttp_client(await gateway_app(config))
    assert (await client.post("/coins-api/info")).status == 200
