"""Fixtures of the crypto tests: a fake CoinGecko per test and gateways in front of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.keys import MOUNTED_APPS
from gateway.testing import gateway_app
from tests.crypto.fake_coingecko import FakeCoinGecko

MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture(autouse=True)
def _only_our_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keep these tests hermetic: other plugins being built in the same tree are not loaded.
    monkeypatch.setenv("GATEWAY_LOAD_PLUGINS", "health,crypto")


def crypto_config(fake: FakeCoinGecko, **settings: Any) -> dict[str, Any]:
    crypto = {"base_url": fake.url, **settings}
    return {"plugins": {"health": {}, "crypto": crypto}}


def crypto_subapp(client: TestClient) -> web.Application:
    """The crypto sub-application of a test client's gateway (to read its proxy and stats)."""
    return client.app[MOUNTED_APPS]["crypto"]


@pytest.fixture
def make_client(aiohttp_client: Any, fake: FakeCoinGecko) -> MakeClient:
    """``await make_client(ttl=1, ...)``: a gateway with crypto and health before the fake."""

    async def make(**settings: Any) -> TestClient:
        app = await gateway_app(crypto_config(fake, **settings))
        return await aiohttp_client(app)

    return make


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Cache settings for each backend: the in-process memory one, then the real Redis."""
    if request.param == "memory":
        return {}
    url = request.getfixturevalue("redis_url")
    return {"cache": url, "cache_namespace": request.getfixturevalue("redis_namespace")}
