"""Fixtures of the fault tests: a private Redis and a TCP proxy in front of PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.faults.servers import PrivateRedis, TcpProxy


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A running ``redis-server`` of this test alone; killed afterwards."""
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def postgres_proxy(postgres_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A TCP proxy in front of the test PostgreSQL, and the database URL through it."""
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        yield (
            proxy,
            url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        )
    finally:
        await proxy.close()
