"""Each target's state (available, ejected, unhealthy by active check), with its reason, since
when and its connections in use, as /health, /_gateway/plugins and the dashboard's data show
it for one named instance; /health warns while some targets are out and fails only when none
is left (and the operator made the targets required)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

import gateway_plugins.health as health_plugin
import gateway_plugins.proxy as proxy_plugin
from tests.processes import free_port
from tests.proxy.conftest import url_of
from tests.proxy.upstream import release, until_held


async def flaky_server(aiohttp_server: Any) -> Any:
    """Healthy to the active checks, but every request is a 500: passively ejected."""

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="broken")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/{tail:.*}", broken)
    return await aiohttp_server(app, host="127.0.0.1")


async def sick_server(aiohttp_server: Any) -> Any:
    """Its health endpoint says 503: unhealthy by the active checks."""

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(status=503)

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"name": "sick"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/{tail:.*}", echo)
    return await aiohttp_server(app, host="127.0.0.1")


def recent(stamp: str) -> bool:
    when = datetime.fromisoformat(stamp)
    return when.tzinfo is not None and datetime.now(UTC) - when < timedelta(seconds=30)


async def test_each_targets_state_reason_and_connections(
    upstream, aiohttp_server, gateway_client
) -> None:
    flaky, sick = await flaky_server(aiohttp_server), await sick_server(aiohttp_server)
    good = await upstream("good")
    config = {
        "plugins": {
            "health": {},
            "billing": {
                "plugin": "proxy",
                "prefix": "/billing",
                "upstreams": [url_of(flaky), url_of(sick), url_of(good)],
                "retries": 0,
                "eject_after": 2,
                "eject_for": 30,
                "health_check": {"path": "/healthz", "interval": 0.1, "unhealthy_after": 1},
            },
        }
    }
    client = await gateway_client(config, plugins=[proxy_plugin, health_plugin])
    before = datetime.now(UTC).replace(microsecond=0)
    await asyncio.sleep(0.4)  # the active checks find "sick" unhealthy
    statuses = [(await client.get("/billing/x")).status for _ in range(4)]
    assert statuses.count(500) == 2  # round robin between flaky and good: flaky ejected
    held = asyncio.ensure_future(client.get("/billing/slow", params={"hold": "1"}))
    await until_held([good])

    listing = await client.get("/_gateway/plugins")
    assert listing.headers["Cache-Control"] == "no-store"
    rows = {row["name"]: row for row in (await listing.json())["plugins"]}
    billing = rows["billing"]
    assert billing["label"] == "billing (proxy)"
    assert billing["health"]["status"] == "warn"
    entry = billing["health"]["checks"]["billing:targets"][0]
    assert entry["output"] == "1 of 3 targets available"
    targets = {t["target"]: t for t in entry["targets"]}
    assert targets[url_of(flaky)]["state"] == "ejected"
    assert targets[url_of(flaky)]["reason"] == "2 failures in a row (last: answered 500)"
    assert 28 < targets[url_of(flaky)]["ejectedForSeconds"] <= 30
    assert targets[url_of(sick)]["state"] == "unhealthy"
    assert targets[url_of(sick)]["reason"] == "health check: answered 503"
    assert targets[url_of(sick)]["lastCheck"].endswith(" answered 503")
    assert targets[url_of(good)]["state"] == "available"
    assert "reason" not in targets[url_of(good)]
    assert targets[url_of(good)]["connectionsInUse"] == 1  # the slow request holds one
    assert targets[url_of(flaky)]["connectionsInUse"] == 0
    for target in targets.values():
        assert recent(target["since"]) and datetime.fromisoformat(target["since"]) >= before
    # An instance without checks has no health in its row; health's own row has none either.
    assert "health" not in rows["health"]

    # /health says the same, and only warns: billing still has a target.
    health = await client.get("/health")
    assert health.status == 200
    body = await health.json()
    assert body["status"] == "warn"

    def states(targets: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        return {t["target"]: (t["state"], t.get("reason"), t["since"]) for t in targets}

    assert states(body["checks"]["billing:targets"][0]["targets"]) == states(entry["targets"])

    # The dashboard's data: the same row with its health.
    status = await (await client.get("/_gateway/status")).json()
    row = next(r for r in status["plugins"] if r["name"] == "billing")
    assert row["health"]["checks"]["billing:targets"][0]["output"] == "1 of 3 targets available"

    release(good)
    assert (await held).status == 200
    after = await (await client.get("/_gateway/plugins")).json()
    billing = next(r for r in after["plugins"] if r["name"] == "billing")
    good_now = next(
        t
        for t in billing["health"]["checks"]["billing:targets"][0]["targets"]
        if t["target"] == url_of(good)
    )
    assert good_now["connectionsInUse"] == 0


async def test_a_target_back_from_ejection_is_available_since_then(
    upstream, aiohttp_server, proxied
) -> None:
    flaky, good = await flaky_server(aiohttp_server), await upstream("good")
    client = await proxied([flaky, good], retries=0, eject_after=1, eject_for=0.3)
    assert 500 in [(await client.get("/svc/x")).status for _ in range(2)]
    await asyncio.sleep(0.5)
    listing = await (await client.get("/_gateway/plugins")).json()
    row = next(r for r in listing["plugins"] if r["name"] == "proxy")
    entry = row["health"]["checks"]["proxy:targets"][0]
    assert entry["status"] == "pass"
    back = next(t for t in entry["targets"] if t["target"] == url_of(flaky))
    assert back["state"] == "available" and "reason" not in back
    # Back since its ejection ended: later than it was ejected, a moment ago.
    assert datetime.now(UTC) - datetime.fromisoformat(back["since"]) < timedelta(seconds=1.5)


@pytest.mark.parametrize("required", [False, True])
async def test_health_fails_only_when_no_target_is_left(proxied, required: bool) -> None:
    """No target left: /health fails (503) when the operator made the targets required, and
    otherwise warns, saying so: the other plugins keep their instance in the load balancer."""
    down = f"http://127.0.0.1:{free_port()}"
    client = await proxied(
        [down],
        health_check={"path": "/", "interval": 0.05, "unhealthy_after": 1},
        health_required=required,
        plugins=(health_plugin,),
        tables={"health": {}},
    )
    await asyncio.sleep(0.3)
    response = await client.get("/health")
    entry = (await response.json())["checks"]["proxy:targets"][0]
    assert entry["targets"][0]["state"] == "unhealthy"
    assert entry["targets"][0]["reason"] == "health check: connection_refused"
    if required:
        assert response.status == 503
        assert entry["status"] == "fail" and entry["output"] == "0 of 1 targets available"
    else:
        assert response.status == 200
        assert entry["status"] == "warn"
        assert entry["output"] == "0 of 1 targets available (not required: still serving)"
