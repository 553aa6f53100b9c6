"""The dashboard's page, data and assets over HTTP: what /_gateway/status reports with metrics
on and off, secrets redacted, the admin scope when auth is on; the pages' security headers.
(tests/pages drives the same page in a browser.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.testing import gateway_app
from gateway.traffic import PluginCounts, quantile
from gateway_plugins.auth.keyring import hash_key
from tests.crypto.fake_coingecko import FakeCoinGecko

ADMIN = "gw_admin-key-0123456789abcdefghijklmnopqrstuvwxyz"
WRITER = "gw_writer-key-0123456789abcdefghijklmnopqrstuvwxyz"


def plugins(tmp_path: Path, fake: FakeCoinGecko, **extra: Any) -> dict[str, Any]:
    return {
        "health": {},
        "notes": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"},
        "crypto": {"base_url": fake.url, "api_plan": "demo", "api_key": "cg-secret-demo-key"},
        **extra,
    }


async def test_status_with_metrics_on(aiohttp_client, tmp_path, fake):
    app = await gateway_app({"gateway": {"metrics": True}, "plugins": plugins(tmp_path, fake)})
    client = await aiohttp_client(app)
    for _ in range(20):
        assert (await client.get("/notes")).status == 200
    for _ in range(3):
        assert (await client.get("/notes/999")).status == 404
    await client.get("/v1/crypto/price", params={"ids": "bitcoin", "vs_currencies": "usd"})
    await client.get("/v1/crypto/price", params={"ids": "bitcoin", "vs_currencies": "usd"})
    response = await client.get("/_gateway/status")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = await response.text()
    assert "cg-secret-demo-key" not in text  # redacted in the plugin report
    status = await response.json()
    assert {row["name"] for row in status["plugins"]} >= {"health", "notes", "crypto"}
    checks = status["health"]["checks"]
    assert checks["notes:database"][0]["status"] == "pass"
    assert checks["notes:database"][0]["pool"]["size"] == 10
    upstream = checks["crypto:upstream"][0]
    assert upstream["cacheHitRatio"] == 0.5  # one miss, then one hit
    traffic = status["traffic"]
    assert traffic["available"] is True
    # Counters are per process and other tests share them: at least what this one did.
    notes = traffic["plugins"]["notes"]
    assert notes["requests"] >= 23
    assert notes["p50_ms"] is not None and notes["p50_ms"] <= notes["p99_ms"]
    assert 0 < notes["client_error_rate"] < 1


async def test_status_shows_an_open_rate_limit_window(aiohttp_client, tmp_path, fake):
    app = await gateway_app({"plugins": plugins(tmp_path, fake)})
    client = await aiohttp_client(app)
    fake.rate_limit("120")
    answer = await client.get("/v1/crypto/price", params={"ids": "bitcoin", "vs_currencies": "usd"})
    assert answer.status == 503
    status = await (await client.get("/_gateway/status")).json()
    upstream = status["health"]["checks"]["crypto:upstream"][0]
    assert upstream["status"] == "warn"
    assert "rate-limited by CoinGecko" in upstream["output"]
    assert 100 < upstream["observedValue"] <= 120
    assert upstream["observedUnit"] == "s"


async def test_status_with_metrics_off_says_what_it_cannot_show(aiohttp_client, tmp_path, fake):
    app = await gateway_app({"plugins": plugins(tmp_path, fake)})
    client = await aiohttp_client(app)
    status = await (await client.get("/_gateway/status")).json()
    assert status["traffic"]["available"] is False
    assert "metrics = true" in status["traffic"]["reason"]
    assert status["health"]["status"] in ("pass", "warn")


def test_quantiles_interpolate_within_buckets():
    counts = PluginCounts(buckets={0.001: 0, 0.01: 50, 0.1: 100, float("inf"): 100})
    assert abs(quantile(0.5, counts.buckets) - 0.01) < 1e-9
    assert abs(quantile(0.25, counts.buckets) - 0.0055) < 1e-9
    assert abs(quantile(0.75, counts.buckets) - 0.055) < 1e-9
    assert quantile(0.5, {}) is None


async def test_pages_keep_to_their_own_origin(aiohttp_client, tmp_path, fake):
    app = await gateway_app({"plugins": plugins(tmp_path, fake)})
    client = await aiohttp_client(app)
    for path in ("/docs", "/_gateway/"):
        response = await client.get(path)
        assert response.status == 200
        assert response.content_type == "text/html"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "http" not in policy  # no CDN, no other origin
        page = await response.text()
        assert "http://" not in page and "https://" not in page
    bundle = await client.get("/docs/assets/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status == 200
    assert (await client.get("/_gateway/assets/dashboard.js")).status == 200


async def test_dashboard_and_its_data_need_admin_when_auth_is_on(aiohttp_client, tmp_path, fake):
    keys = {
        "ops": {"hash": hash_key(ADMIN), "scopes": ["admin"]},
        "ci": {"hash": hash_key(WRITER), "scopes": ["write"]},
    }
    app = await gateway_app({"plugins": plugins(tmp_path, fake, auth={"keys": keys})})
    client = await aiohttp_client(app)
    protected = ("/_gateway/", "/_gateway/status", "/_gateway/assets/dashboard.js")
    for path in protected:
        assert (await client.get(path)).status == 401, path
        writer = await client.get(path, headers={"Authorization": f"Bearer {WRITER}"})
        assert writer.status == 403, path
        admin = await client.get(path, headers={"Authorization": f"Bearer {ADMIN}"})
        assert admin.status == 200, path
    # The API reference is public, like the reads it documents.
    assert (await client.get("/docs")).status == 200
    assert (await client.get("/openapi.json")).status == 200
