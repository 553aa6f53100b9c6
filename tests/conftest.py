"""Fixtures shared by every test: the real PostgreSQL and Redis servers of this machine, and a
fake CoinGecko served on 127.0.0.1.

Where a server is absent its tests skip with the reason; with GATEWAY_REQUIRE_SERVICES=1 (set
by .ci/run) they fail instead, so CI always exercises both backends.
"""

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis.asyncio as redis
from sqlalchemy import make_url

from tests.browser import browser  # noqa: F401  (a fixture for every browser test)
from tests.crypto.fake_coingecko import FakeCoinGecko
from tests.postgres import connect

REQUIRE_SERVICES_ENV = "GATEWAY_REQUIRE_SERVICES"
POSTGRES_URL = os.environ.get(
    "GATEWAY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _require(url: str, what: str) -> str:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return url
    except OSError as exc:
        reason = f"{what} is not reachable at {parts.hostname}:{parts.port} ({exc})"
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_SERVICES_ENV}=1 requires it")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> str:
    """An SQLAlchemy URL of the real PostgreSQL test database (skip or fail when absent).

    Under pytest-xdist each worker gets a database of its own (``<name>_gw0``, made here from
    the configured one when missing), so parallel tests never share tables.
    """
    url = _require(POSTGRES_URL, "PostgreSQL")
    if worker_id == "master":
        return url
    return _database_of_worker(url, worker_id)


def _database_of_worker(url: str, worker_id: str) -> str:
    parsed = make_url(url)
    name = f"{parsed.database}_{worker_id}"

    async def create() -> None:
        connection = await connect(url)
        try:
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    # In a thread of its own: the fixture may first be asked for inside a running loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create()).result()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of the real Redis server (skip or fail when absent)."""
    return _require(REDIS_URL, "Redis")


@pytest.fixture
async def redis_namespace(redis_url: str) -> AsyncIterator[str]:
    """A key namespace of this test alone in the real Redis; its keys are deleted afterwards."""
    namespace = f"test:gateway:{uuid.uuid4().hex[:12]}"
    yield namespace
    client = redis.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def fake(aiohttp_server: Any) -> AsyncIterator[FakeCoinGecko]:
    """A fresh fake CoinGecko on 127.0.0.1, its URL in ``fake.url``."""
    fake = FakeCoinGecko()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    fake.server = server
    yield fake
    fake.release()  # hanging requests end before the server closes
