"""Fixtures of the notes tests: the same suite on a real SQLite file and on real PostgreSQL.

PostgreSQL tests share the ``test`` database, so each starts by dropping the plugin's tables;
the suite never runs two PostgreSQL tests at once.
"""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.testing import gateway_app
from tests.notes.helpers import drop_notes_tables


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file in tmp_path, or the real PostgreSQL."""
    if request.param == "sqlite":
        # Relative on purpose: the plugin resolves it against the config's folder (tmp_path).
        return "sqlite+aiosqlite:///notes.db"
    url = request.getfixturevalue("postgres_url")
    await drop_notes_tables(url)
    return url


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Any]:
    """Build the gateway with the notes plugin on ``database_url`` and extra settings."""

    async def make(database_url: str, **settings: Any) -> web.Application:
        config = {"plugins": {"notes": {"database_url": database_url, **settings}}}
        return await gateway_app(config, config_dir=tmp_path)

    return make


@pytest.fixture
async def client(
    aiohttp_client: Any, make_app: Callable[..., Any], database_url: str
) -> AsyncIterator[TestClient[Any, Any]]:
    """A client of a started gateway whose notes database is empty."""
    yield await aiohttp_client(await make_app(database_url))
