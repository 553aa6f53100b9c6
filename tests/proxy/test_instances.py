"""Several proxy instances in one gateway: ``[plugins.NAME]`` tables with ``plugin = "proxy"``,
each with its own targets, health check, metrics series and middleware scope."""

from __future__ import annotations

import gateway_plugins.auth as auth_plugin
import gateway_plugins.health as health_plugin
import gateway_plugins.proxy as proxy_plugin
from gateway.testing import assert_problem
from gateway_plugins.auth.keyring import hash_key
from tests.processes import free_port
from tests.proxy.conftest import url_of

KEY = "gw_instances_0123456789abcdef0123456789abc"


async def test_two_services_behind_one_gateway(upstream, gateway_client) -> None:
    billing, search = await upstream("billing"), await upstream("search")
    down = f"http://127.0.0.1:{free_port()}"
    config = {
        "gateway": {"metrics": True},
        "plugins": {
            "health": {},
            "billing": {
                "plugin": "proxy",
                "prefix": "/billing",
                "upstreams": [url_of(billing), down],
                "eject_after": 1,
                "retries": 1,
            },
            "search": {"plugin": "proxy", "prefix": "/search", "upstreams": [url_of(search)]},
            # Keys for billing only: search stays open.
            "auth": {
                "apply_to": ["billing"],
                "keys": {"ops": {"hash": hash_key(KEY), "scopes": ["write"]}},
                "rules": [{"require": "write"}],
            },
        },
    }
    client = await gateway_client(config, plugins=[proxy_plugin, health_plugin, auth_plugin])
    await assert_problem(await client.get("/billing/x"), 401)
    for _ in range(3):
        answer = await client.get("/billing/x", headers={"X-API-Key": KEY})
        assert (await answer.json())["name"] == "billing"
    assert (await (await client.get("/search/q")).json())["name"] == "search"

    health = await (await client.get("/health")).json()
    assert health["checks"]["billing:targets"][0]["status"] == "warn"  # "down" is ejected
    assert health["checks"]["search:targets"][0]["status"] == "pass"
    metrics = await (await client.get("/metrics")).text()
    assert f'instance="billing",status_class="2xx",target="{url_of(billing)}"' in metrics
    assert f'instance="search",status_class="2xx",target="{url_of(search)}"' in metrics
