"""Fixtures of the crypto tests: a fake CoinGecko per test and gateways in front of it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestClient

from gateway.testing import gateway_app
from tests.crypto.fake_coingecko import FakeCoinGecko

MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture(autouse=True)
def _only_our_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keep these tests hermetic: other plugins being built in the same tree are not loaded.
    monkeypatch.setenv("GATEWAY_LOAD_PLUGINS", "health,crypto")


@pytest.fixture
async def fake(aiohttp_server: Any) -> AsyncIterator[FakeCoinGecko]:
    """A fresh fake CoinGecko on 127.0.0.1, its URL in ``fake.url``."""
    fake = FakeCoinGecko()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    yield fake
    fake.release()  # hanging requests end before the server closes


def crypto_config(fake: FakeCoinGecko, **settings: Any) -> dict[str, Any]:
    crypto = {"base_url": fake.url, **settings}  # type: ignore[attr-defined]
    return {"plugins": {"health": {}, "crypto": crypto}}


@pytest.fixture
def make_client(aiohttp_client: Any, fake: FakeCoinGecko) -> MakeClient:
    """``await make_client(ttl=1, ...)``: a gateway with crypto and health before the fake."""

    async def make(**settings: Any) -> TestClient:
        app = await gateway_app(crypto_config(fake, **settings))
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def redis_namespace(redis_url: str) -> AsyncIterator[str]:
    """A key namespace of this test alone in the real Redis; its keys are deleted afterwards."""
    namespace = f"test:crypto:{uuid.uuid4().hex[:12]}"
    yield namespace
    client = redis.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
