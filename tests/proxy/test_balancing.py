"""Load balancing, passive ejection, active health checks, /health and /metrics."""

from __future__ import annotations

import asyncio
from collections import Counter

from aiohttp import web

import gateway_plugins.health as health_plugin
from tests.processes import free_port
from tests.proxy.conftest import url_of
from tests.proxy.upstream import NAME, release, slow_arrivals, until_held


async def names(client, count: int, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    return [(await (await client.get("/svc/x", **kwargs)).json())["name"] for _ in range(count)]


async def test_round_robin(upstream, proxied) -> None:
    servers = [await upstream(n) for n in "abc"]
    client = await proxied(servers)
    assert Counter(await names(client, 9)) == {"a": 3, "b": 3, "c": 3}


async def test_least_requests_avoids_the_busy_target(upstream, proxied) -> None:
    one, two = await upstream("one"), await upstream("two")
    client = await proxied([one, two], balance="least_requests")
    # Held until released: the ten requests below must find them in flight on a slow machine
    # too (a fixed hold of 1 s ran out under a loaded CI run).
    held = []
    for _ in range(3):
        held.append(asyncio.ensure_future(client.get("/svc/slow", params={"hold": "1"})))
        await until_held((one, two), len(held))
    busy = {s.app[NAME]: slow_arrivals(s.app) for s in (one, two)}
    assert sorted(busy.values()) == [1, 2]  # each held request went to the idler target
    idler = min(busy, key=busy.__getitem__)
    assert Counter(await names(client, 10)) == {idler: 10}
    release(one, two)
    assert [response.status for response in await asyncio.gather(*held)] == [200, 200, 200]


async def test_hash_keeps_a_client_on_one_target(upstream, proxied) -> None:
    servers = [await upstream(n) for n in "abcd"]
    by_header = await proxied(servers, balance="hash", hash_on="header:X-User")
    for user in ("ada", "bob", "cy", "dee", "eve"):
        assert len(set(await names(by_header, 4, headers={"X-User": user}))) == 1
    spread = {(await names(by_header, 1, headers={"X-User": f"u{i}"}))[0] for i in range(40)}
    assert len(spread) >= 3
    by_cookie = await proxied(servers, prefix="/c", balance="hash", hash_on="cookie:sid")

    async def cookie_names(sid: str) -> set[str]:
        cookie = {"Cookie": f"sid={sid}"}
        return {
            (await (await by_cookie.get("/c/x", headers=cookie)).json())["name"] for _ in "1234"
        }

    for sid in ("1", "2", "3"):
        assert len(await cookie_names(sid)) == 1
    by_address = await proxied(servers, prefix="/a", balance="hash")
    assert len({(await (await by_address.get("/a/x")).json())["name"] for _ in range(6)}) == 1


async def test_passive_ejection_and_recovery(upstream, proxied, aiohttp_server) -> None:
    failing = {"on": True}

    async def flaky(request: web.Request) -> web.Response:
        if failing["on"]:
            return web.Response(status=500, text="broken")
        return web.json_response({"name": "flaky"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", flaky)
    bad = await aiohttp_server(app, host="127.0.0.1")
    good = await upstream("good")
    client = await proxied(
        [bad, good],
        retries=0,
        eject_after=2,
        eject_for=0.5,
        plugins=(health_plugin,),
        tables={"health": {}},
    )
    statuses = [(await client.get("/svc/x")).status for _ in range(4)]
    assert statuses.count(500) == 2  # ejected after its second 500 in a row
    assert Counter(await names(client, 4)) == {"good": 4}
    health = await (await client.get("/health")).json()
    entry = health["checks"]["proxy:targets"][0]
    assert entry["status"] == "warn"
    states = {t["target"]: t["state"] for t in entry["targets"]}
    assert states == {url_of(bad): "ejected", url_of(good): "available"}
    failing["on"] = False
    await asyncio.sleep(0.6)
    assert "flaky" in await names(client, 4)


async def test_active_checks_and_health_states(upstream, proxied, aiohttp_server) -> None:
    answer = {"status": 200}

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(status=answer["status"])

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"name": "checked"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/{tail:.*}", echo)
    checked = await aiohttp_server(app, host="127.0.0.1")
    other = await upstream("other")
    client = await proxied(
        [checked, other],
        health_check={
            "path": "/healthz",
            "interval": 0.1,
            "unhealthy_after": 2,
            "healthy_after": 2,
        },
        plugins=(health_plugin,),
        tables={"health": {}},
        gateway={"metrics": True},
    )
    assert set(await names(client, 4)) == {"checked", "other"}
    answer["status"] = 503
    await asyncio.sleep(0.5)
    assert set(await names(client, 4)) == {"other"}
    health = await (await client.get("/health")).json()
    entry = health["checks"]["proxy:targets"][0]
    assert entry["status"] == "warn"
    assert {t["state"] for t in entry["targets"]} == {"unhealthy", "available"}
    answer["status"] = 200
    await asyncio.sleep(0.5)
    assert set(await names(client, 6)) == {"checked", "other"}
    metrics = await (await client.get("/metrics")).text()
    line = (
        "gateway_proxy_requests_total"
        f'{{instance="proxy",status_class="2xx",target="{url_of(other)}"}}'
    )
    assert line in metrics
    ejected = f'gateway_proxy_ejections_total{{instance="proxy",target="{url_of(checked)}"}}'
    assert ejected in metrics
    assert "gateway_proxy_upstream_seconds_bucket" in metrics
    assert 'gateway_proxy_total_seconds_count{instance="proxy"}' in metrics


async def test_retry_and_connection_metrics(upstream, proxied, aiohttp_server) -> None:
    async def unavailable(request: web.Request) -> web.Response:
        return web.Response(status=503)

    down = web.Application()
    down.router.add_route("*", "/{tail:.*}", unavailable)
    bad = await aiohttp_server(down, host="127.0.0.1")
    good = await upstream("good")
    client = await proxied(
        [bad, good], prefix="/m", retries=1, eject_after=0, gateway={"metrics": True}
    )
    held = asyncio.ensure_future(client.get("/m/slow", params={"hold": "1"}))
    await until_held([good])
    during = await (await client.get("/metrics")).text()
    labels = f'instance="proxy",target="{url_of(good)}"'
    in_use = f"gateway_proxy_connections_in_use{{{labels}}} 1.0"
    assert in_use in during
    release(good)
    assert (await held).status == 200
    for _ in range(4):
        assert (await client.get("/m/x")).status == 200
    metrics = await (await client.get("/metrics")).text()
    retried = [
        line
        for line in metrics.splitlines()
        if line.startswith(f"gateway_proxy_retries_total{{{labels}}}")
    ]
    assert retried and float(retried[0].split()[-1]) >= 2
    assert f"gateway_proxy_connections_in_use{{{labels}}} 0.0" in metrics


async def test_instances_share_nothing(upstream, proxied) -> None:
    """Two gateways in one process, each with the plugin: one's ejections, budget and turn
    of round robin are its own (the plugin keeps no module-level state)."""
    a, b = await upstream("a"), await upstream("b")
    down = f"http://127.0.0.1:{free_port()}"
    first = await proxied([down, a], prefix="/one", eject_after=1, retries=0)
    second = await proxied([down, b], prefix="/two", eject_after=1, retries=0)
    # Round robin meets "down" within two requests; it is then ejected, in the first only.
    assert 502 in [(await first.get("/one/x")).status for _ in range(2)]
    assert Counter(await names_at(first, "/one/x", 3)) == {"a": 3}
    assert 502 in [(await second.get("/two/x")).status for _ in range(2)]  # tried it again
    assert Counter(await names_at(second, "/two/x", 3)) == {"b": 3}


async def names_at(client, path: str, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [(await (await client.get(path)).json())["name"] for _ in range(count)]
