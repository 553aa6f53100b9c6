"""Purging by key and by prefix under /_gateway/plugins/<instance>/, protected like the rest
of /_gateway; the metrics of each instance; the plugin's settings errors and its health."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestServer

import gateway_plugins.auth as auth_plugin
import gateway_plugins.health as health_plugin
from gateway_plugins.auth.keyring import hash_key
from tests.cache.conftest import PLUGINS, gateway_config
from tests.cache.origin import CALLS

ADMIN = "gw_admin-key-0123456789abcdefghijklmnopqrstuvwxyz"
READER = "gw_reader-key-0123456789abcdefghijklmnopqrstuvwxyz"


async def metrics(client: Any) -> dict[str, float]:
    async with client.get("/metrics") as response:
        text = await response.text()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("gateway_cache_")
    }


async def fill(client: Any, *paths: str) -> None:
    for path in paths:
        async with client.get(path) as response:
            assert response.status == 200


async def test_purge_by_key_and_prefix(gateway_client: Any, origin: TestServer):
    client = await gateway_client(gateway_config(origin, {}), plugins=PLUGINS)
    a, b, c = (f"/svc/r/{n}?cc=max-age%3D60" for n in ("p1", "p2", "p3"))
    await fill(client, a, b, c, a, b, c)
    assert [origin.app[CALLS][n] for n in ("p1", "p2", "p3")] == [1, 1, 1]

    async with client.delete("/_gateway/plugins/cache/entries", params={"key": a}) as response:
        assert response.status == 200
        assert await response.json() == {"purged": 1, "key": a}
    await fill(client, a, b)
    assert [origin.app[CALLS][n] for n in ("p1", "p2")] == [2, 1]

    async with client.delete(
        "/_gateway/plugins/cache/entries", params={"prefix": "/svc/r/p"}
    ) as response:
        assert (await response.json())["purged"] == 3
    await fill(client, a, b, c)
    assert [origin.app[CALLS][n] for n in ("p1", "p2", "p3")] == [3, 2, 2]


async def test_purge_takes_every_variant(gateway_client: Any, origin: TestServer):
    client = await gateway_client(gateway_config(origin, {}), plugins=PLUGINS)
    url = "/plain/r/pv?cc=max-age%3D60&vary=Accept-Language"
    for language in ("fr", "de"):
        async with client.get(url, headers={"Accept-Language": language}):
            pass
    async with client.delete("/_gateway/plugins/cache/entries", params={"key": url}) as response:
        assert (await response.json())["purged"] == 3  # the marker and two variants


@pytest.mark.parametrize(
    "params",
    [{}, {"key": "/a", "prefix": "/a"}, {"key": "a"}],
    ids=["neither", "both", "no-slash"],
)
async def test_purge_refuses_unclear_requests(
    gateway_client: Any, origin: TestServer, gateway_problem: Any, params: dict[str, str]
):
    client = await gateway_client(gateway_config(origin, {}), plugins=PLUGINS)
    async with client.delete("/_gateway/plugins/cache/entries", params=params) as response:
        await gateway_problem(response, 400)


async def test_purge_is_for_admins_when_auth_is_on(gateway_client: Any, origin: TestServer):
    keys = {
        "ops": {"hash": hash_key(ADMIN), "scopes": ["admin"]},
        "reader": {"hash": hash_key(READER), "scopes": []},
    }
    config = gateway_config(origin, {}, auth={"keys": keys})
    client = await gateway_client(config, plugins=[*PLUGINS, auth_plugin])
    path, params = "/_gateway/plugins/cache/entries", {"prefix": "/"}
    async with client.delete(path, params=params) as response:
        assert response.status == 401
    async with client.delete(path, params=params, headers={"X-API-Key": READER}) as response:
        assert response.status == 403
    async with client.delete(path, params=params, headers={"X-API-Key": ADMIN}) as response:
        assert response.status == 200


async def test_two_instances_each_with_its_scope_metrics_and_purge(
    gateway_client: Any, origin: TestServer
):
    config = gateway_config(origin, {"apply_to": ["svc"]})
    config["plugins"]["edge"] = {"plugin": "cache", "apply_to": ["plain"], "name": "edge"}
    config["gateway"] = {"metrics": True}
    client = await gateway_client(config, plugins=PLUGINS)
    before = await metrics(client)
    for _ in range(2):
        async with client.get("/svc/r/m?cc=max-age%3D60") as response:
            assert response.headers["Cache-Status"].startswith("gateway;")
        async with client.get("/plain/r/m?cc=max-age%3D60") as response:
            assert response.headers["Cache-Status"].startswith("edge;")
    after = await metrics(client)
    for instance in ("cache", "edge"):
        for result in ("hit", "miss"):
            series = f'gateway_cache_answers_total{{instance="{instance}",result="{result}"}}'
            assert after[series] - before.get(series, 0) == 1
        assert after[f'gateway_cache_stored_bytes{{instance="{instance}"}}'] > 0
    async with client.delete(
        "/_gateway/plugins/edge/entries", params={"prefix": "/svc/"}
    ) as response:
        assert (await response.json())["purged"] == 0  # edge holds /plain only


async def test_health_and_settings_errors(gateway_client: Any, origin: TestServer):
    config = gateway_config(origin, {}, health={})
    client = await gateway_client(config, plugins=[*PLUGINS, health_plugin])
    async with client.get("/health") as response:
        checks = (await response.json())["checks"]
    assert checks["cache:storage"][0]["status"] == "pass"
    with pytest.raises(Exception, match="storage"):
        await gateway_client(gateway_config(origin, {"storage": "mongodb://x"}), plugins=PLUGINS)
    with pytest.raises(Exception, match="overrides"):
        await gateway_client(
            gateway_config(origin, {"overrides": {"nowhere": {"ttl": 1}}}), plugins=PLUGINS
        )


async def test_openapi_describes_the_purge_and_only_if_cached(
    gateway_client: Any, origin: TestServer
):
    client = await gateway_client(gateway_config(origin, {}), plugins=PLUGINS)
    async with client.get("/openapi.json") as response:
        document = await response.json()
    purge = document["paths"]["/_gateway/plugins/cache/entries"]["delete"]
    assert {"200", "400"} <= set(purge["responses"])
    assert {p.get("name") for p in purge["parameters"]} >= {"key", "prefix"}
    proxied = document["paths"]["/svc/{tail}"]["get"]
    assert "504" in proxied["responses"]
    assert "Cache-Control" in {p.get("name") for p in proxied["parameters"]}
