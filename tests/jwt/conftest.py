"""Fixtures of the jwt tests: the identity provider on 127.0.0.1, and a gateway in front of
/notes and /health with the jwt plugin configured for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.testing import gateway_app
from tests.jwt.provider import AUDIENCE, IdentityProvider

MakeGateway = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def provider(aiohttp_server: Any) -> IdentityProvider:
    idp = IdentityProvider()
    server: TestServer = await aiohttp_server(idp.app())
    idp.issuer = str(server.make_url("")).rstrip("/")
    idp.server = server  # type: ignore[attr-defined]
    return idp


@pytest.fixture
def make_gateway(aiohttp_client: Any, tmp_path: Path, provider: IdentityProvider) -> MakeGateway:
    """A started gateway whose [plugins.jwt] trusts ``provider`` (by OIDC discovery unless
    the table says otherwise); ``gateway`` is the [gateway] table, ``plugins`` adds or
    replaces other tables (``None`` removes one)."""

    async def build(
        jwt: dict[str, Any] | None = None, gateway: dict[str, Any] | None = None, **plugins: Any
    ) -> TestClient:
        table = {
            "issuer": provider.issuer,
            "audience": [AUDIENCE],
            "algorithms": ["RS256"],
            **(jwt or {}),
        }
        tables = {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "jwt": table,
            **plugins,
        }
        tables = {name: table for name, table in tables.items() if table is not None}
        config = {"gateway": gateway or {}, "plugins": tables}
        app = await gateway_app(config, config_dir=tmp_path)
        return await aiohttp_client(app)

    return build
