"""The cors plugin through HTTP: preflights on every mounted path, before auth and rate
limits; listed and unlisted origins; errors readable cross-origin; per-scope overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.config import ConfigError
from gateway.testing import gateway_app

APP = "http://app.example:3000"
PREFLIGHT = {"Origin": APP, "Access-Control-Request-Method": "PUT"}


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(cors: dict[str, Any] | None = None, **tables: Any) -> TestClient:
        plugins = {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "cors": {"origins": [APP], **(cors or {})},
            **tables,
        }
        return await aiohttp_client(await gateway_app({"plugins": plugins}, config_dir=tmp_path))

    return build


@pytest.mark.parametrize(
    "path", ["/notes", "/notes/", "/notes/7", "/health/live", "/_gateway/plugins"]
)
async def test_preflight_is_answered_on_every_mounted_path(make, path):
    client = await make()
    answered = await client.options(
        path, headers={**PREFLIGHT, "Access-Control-Request-Headers": "content-type, x-api-key"}
    )
    assert answered.status == 204
    headers = answered.headers
    assert headers["Access-Control-Allow-Origin"] == APP
    assert "PUT" in headers["Access-Control-Allow-Methods"]
    assert "X-API-Key" in headers["Access-Control-Allow-Headers"]
    assert headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in headers["Vary"]


async def test_an_unlisted_origin_gets_no_allow_fields(make):
    client = await make()
    refused = await client.options(
        "/notes", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"}
    )
    assert refused.status == 403
    assert refused.content_type == "application/problem+json"
    assert not [h for h in refused.headers if h.lower().startswith("access-control-allow")]
    plain = await client.get("/notes", headers={"Origin": "http://evil.example"})
    assert plain.status == 200
    assert "Access-Control-Allow-Origin" not in plain.headers


async def test_unlisted_method_or_header_is_refused(make):
    client = await make({"methods": ["GET"]})
    assert (await client.options("/notes", headers=PREFLIGHT)).status == 403
    client = await make()
    asked = {**PREFLIGHT, "Access-Control-Request-Headers": "x-secret-sauce"}
    assert (await client.options("/notes", headers=asked)).status == 403


async def test_actual_requests_and_errors_carry_the_origin_and_exposed_headers(make):
    client = await make(auth={})
    created = await client.post("/notes", json={"title": "x"}, headers={"Origin": APP})
    assert created.status == 401  # auth refuses, and the page may still read why
    assert created.headers["Access-Control-Allow-Origin"] == APP
    assert "X-Request-ID" in created.headers["Access-Control-Expose-Headers"]
    listed = await client.get("/notes", headers={"Origin": APP})
    assert listed.headers["Access-Control-Allow-Origin"] == APP
    # The preflight itself passes auth untouched.
    assert (await client.options("/notes", headers=PREFLIGHT)).status == 204


async def test_any_origin_and_credentials(make):
    client = await make({"origins": ["*"]})
    answered = await client.get("/notes", headers={"Origin": "http://anyone.example"})
    assert answered.headers["Access-Control-Allow-Origin"] == "*"
    client = await make({"credentials": True})
    answered = await client.get("/notes", headers={"Origin": APP})
    assert answered.headers["Access-Control-Allow-Origin"] == APP
    assert answered.headers["Access-Control-Allow-Credentials"] == "true"


async def test_overrides_per_plugin_and_scope(make):
    client = await make(
        {"overrides": {"health": {"origins": ["https://status.example"]}}, "skip": ["/_gateway"]}
    )
    status_page = {"Origin": "https://status.example", "Access-Control-Request-Method": "GET"}
    assert (await client.options("/health/live", headers=status_page)).status == 204
    assert (await client.options("/notes", headers=status_page)).status == 403
    assert (await client.options("/health/live", headers=PREFLIGHT)).status == 403
    skipped = await client.options("/_gateway/plugins", headers=PREFLIGHT)
    assert skipped.status == 405  # not in scope: no CORS answer at all


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"origins": ["https://app.example/"]}, "is not an origin"),
        ({"origins": ["*"], "credentials": True}, "credentials = true cannot go with"),
        ({"max_age": -1}, "greater than or equal to 0"),
    ],
)
async def test_bad_settings_are_config_errors(tmp_path, settings, message):
    with pytest.raises(ConfigError) as caught:
        await gateway_app({"plugins": {"health": {}, "cors": settings}}, config_dir=tmp_path)
    assert "plugins.cors" in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize("path", ["/notes", "/health/live", "/notes/999999"])
async def test_answers_without_origin_say_they_vary_by_it(make, path):
    """A shared cache keyed without Origin would serve this answer, without CORS fields, to
    a browser's cross-origin request: every answer in scope says Vary: Origin (a 404 too)."""
    client = await make()
    plain = await client.get(path)
    varies = [token.strip().lower() for token in plain.headers.get("Vary", "").split(",")]
    assert "origin" in varies
    cross = await client.get(path, headers={"Origin": APP})
    assert cross.headers["Access-Control-Allow-Origin"] == APP
    assert "Origin" in cross.headers["Vary"]
