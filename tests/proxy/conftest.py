"""Fixtures of the proxy tests: real upstream servers on 127.0.0.1 and gateways before them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

import gateway_plugins.proxy as proxy_plugin
from tests.proxy.upstream import upstream_app

Upstream = Callable[..., Awaitable[TestServer]]


@pytest.fixture
def upstream(aiohttp_server: Any) -> Upstream:
    """``await upstream("a")``: a started echo service; ``str(server.make_url(""))`` is its
    URL and ``server.app[SEEN]`` what it received."""

    async def start(name: str = "a") -> TestServer:
        return await aiohttp_server(upstream_app(name), host="127.0.0.1")

    return start


def url_of(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
def proxied(gateway_client: Any) -> Callable[..., Awaitable[TestClient]]:
    """``await proxied([server, ...], prefix="/svc", **settings)``: a gateway with one proxy
    instance in front of the servers (URLs or started servers); ``tables`` adds other plugins'
    tables, ``gateway`` the [gateway] table."""

    async def make(
        targets: list[Any],
        *,
        prefix: str = "/svc",
        plugins: tuple[Any, ...] = (),
        tables: dict[str, Any] | None = None,
        gateway: dict[str, Any] | None = None,
        **settings: Any,
    ) -> TestClient:
        upstreams = [t if isinstance(t, str) else url_of(t) for t in targets]
        config: dict[str, Any] = {
            "gateway": gateway or {},
            "plugins": {"proxy": {"prefix": prefix, "upstreams": upstreams, **settings}},
        }
        config["plugins"].update(tables or {})
        return await gateway_client(config, plugins=[proxy_plugin, *plugins])

    return make
