"""Fixtures of the cache tests: a real origin on 127.0.0.1 and gateways caching in front of it,
through a proxy instance (``/svc``) and as a plain plugin's routes (``/plain``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import gateway_plugins.cache as cache_plugin
import gateway_plugins.proxy as proxy_plugin
from gateway.keys import MOUNTED_APPS
from tests.cache import plain_plugin
from tests.cache.origin import CALLS, FAILING, SEEN, origin_app


@dataclass
class Front:
    """A gateway caching one origin: ``client``, the ``prefix`` the origin is under, and the
    origin application (its call counts and switches)."""

    client: TestClient
    prefix: str
    origin: web.Application

    def url(self, name: str, query: str = "") -> str:
        return f"{self.prefix}/r/{name}" + (f"?{query}" if query else "")

    def calls(self, name: str) -> int:
        return self.origin[CALLS][name]

    @property
    def counts(self) -> Counter[str]:
        return self.origin[CALLS]

    def seen(self, name: str) -> list[Any]:
        return self.origin[SEEN].get(name, [])

    def fail(self, failing: bool = True) -> None:
        self.origin[FAILING][0] = failing


MakeFront = Callable[..., Awaitable[Front]]


@pytest.fixture
async def origin(aiohttp_server: Any) -> TestServer:
    return await aiohttp_server(origin_app(), host="127.0.0.1")


def gateway_config(origin: TestServer, cache: dict[str, Any], **tables: Any) -> dict[str, Any]:
    url = str(origin.make_url("")).rstrip("/")
    plugins: dict[str, Any] = {
        "svc": {"plugin": "proxy", "prefix": "/svc", "upstreams": [url]},
        "plain": {"prefix": "/plain"},
        "cache": {"apply_to": ["svc", "plain"], **cache},
    }
    plugins.update(tables)
    return {"plugins": plugins}


PLUGINS = [proxy_plugin, cache_plugin, ("plain", plain_plugin)]


@pytest.fixture(params=["/svc", "/plain"])
def make_front(
    request: pytest.FixtureRequest, gateway_client: Any, origin: TestServer
) -> MakeFront:
    """``await make_front(**cache_settings)``: a gateway with the cache in front of the origin,
    once through a proxy instance and once as a plugin route."""
    prefix: str = request.param

    async def make(**cache: Any) -> Front:
        client = await gateway_client(gateway_config(origin, cache), plugins=PLUGINS)
        app = origin.app if prefix == "/svc" else client.app[MOUNTED_APPS]["plain"]
        return Front(client, prefix, app)

    return make
