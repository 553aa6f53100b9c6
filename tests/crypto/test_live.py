"""Live prices over WebSocket: subscribe, snapshot, updates, bad messages, shared refresh, close."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from gateway_plugins.crypto.keys import FEED
from tests.crypto.conftest import MakeClient, crypto_subapp
from tests.crypto.fake_coingecko import FakeCoinGecko

WS = "/v1/crypto/ws"
# The feed refreshes every REFRESH seconds; entries stay fresh for TTL (shorter, so each
# refresh really asks the upstream).
# failure_ttl 0: each refresh asks again after a failure (the feed's own clock, not the
# failure memory's, is what these tests follow).
FAST = {"ttl": 0.1, "ws_refresh": 0.2, "failure_ttl": 0}


async def receive(ws: Any, within: float = 3.0) -> dict[str, Any]:
    async with asyncio.timeout(within):
        message = await ws.receive()
    assert message.type == WSMsgType.TEXT, message
    return message.json()


async def subscribe(client: TestClient, ids: list[str], vs: str = "usd") -> Any:
    ws = await client.ws_connect(WS)
    await ws.send_json({"subscribe": ids, "vs": vs})
    assert await receive(ws) == {"type": "subscribed", "ids": sorted(ids), "vs": vs}
    return ws


async def test_subscribe_gets_the_current_prices_at_once(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client(**FAST)
    ws = await subscribe(client, ["ethereum", "bitcoin", "nosuchcoin"])
    assert await receive(ws) == {
        "type": "prices",
        "snapshot": True,
        "vs": "usd",
        "prices": {"bitcoin": 67187.33, "ethereum": 3456.78, "nosuchcoin": None},
        "stale": False,
    }
    # A second subscriber to coins already known is answered from the feed, without a call.
    calls = fake.calls["/simple/price"]
    other = await subscribe(client, ["bitcoin"])
    snapshot = await receive(other, within=0.15)
    assert snapshot["prices"] == {"bitcoin": 67187.33}
    assert fake.calls["/simple/price"] == calls
    await ws.close()
    await other.close()


async def test_changes_are_pushed(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client(**FAST)
    ws = await subscribe(client, ["bitcoin", "ethereum"])
    assert (await receive(ws))["snapshot"] is True
    fake.set_price("bitcoin", "usd", 70123.45)
    update = await receive(ws)
    assert update == {
        "type": "prices",
        "snapshot": False,
        "vs": "usd",
        "prices": {"bitcoin": 70123.45},  # only what changed
        "stale": False,
    }
    fake.set_price("ethereum", "usd", 3500.0)
    assert (await receive(ws))["prices"] == {"ethereum": 3500.0}
    await ws.close()


async def test_no_change_no_message(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client(**FAST)
    ws = await subscribe(client, ["bitcoin"])
    await receive(ws)
    await asyncio.sleep(0.7)  # several refreshes with the same price
    assert fake.calls["/simple/price"] >= 3
    async with asyncio.timeout(1):
        fake.set_price("bitcoin", "usd", 1.5)
        assert (await receive(ws))["prices"] == {"bitcoin": 1.5}
    await ws.close()


async def test_resubscribing_replaces_the_subscription(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client(**FAST)
    ws = await subscribe(client, ["bitcoin"])
    await receive(ws)
    await ws.send_json({"subscribe": ["ethereum"], "vs": "eur"})
    assert await receive(ws) == {"type": "subscribed", "ids": ["ethereum"], "vs": "eur"}
    assert (await receive(ws))["prices"] == {"ethereum": 3187.5}
    fake.set_price("bitcoin", "usd", 1.0)  # no longer subscribed: nothing arrives for it
    fake.set_price("ethereum", "eur", 3000.0)
    assert (await receive(ws))["prices"] == {"ethereum": 3000.0}
    await ws.send_json({"subscribe": []})
    assert (await receive(ws))["ids"] == []
    await ws.close()


async def test_bad_messages_get_errors_and_the_socket_stays(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client(**FAST)
    ws = await client.ws_connect(WS)
    await ws.send_str("{not json")
    error = await receive(ws)
    assert error["type"] == "error"
    assert error["error"].startswith("the message is not JSON")

    await ws.send_json(["bitcoin"])
    assert "expected an object" in (await receive(ws))["errors"][0]["detail"]

    await ws.send_json({"subscribe": "bitcoin", "vs": "u$d", "extra": 1})
    error = await receive(ws)
    assert error["error"] == "The request has 3 invalid values; see errors."
    assert [e["pointer"] for e in error["errors"]] == ["#/extra", "#/subscribe", "#/vs"]

    await ws.send_json({"subscribe": [f"coin{i}" for i in range(51)]})
    assert "at most 50" in (await receive(ws))["errors"][0]["detail"]

    await ws.send_bytes(b"\x00\x01")
    assert (await receive(ws))["error"] == "send JSON text messages, not binary ones"

    assert not ws.closed  # after all that, the connection still works
    await ws.send_json({"subscribe": ["bitcoin"]})
    assert (await receive(ws))["type"] == "subscribed"
    assert (await receive(ws))["prices"] == {"bitcoin": 67187.33}
    await ws.close()


async def test_many_subscribers_cost_one_call_per_refresh(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client(ttl=10, ws_refresh=10)
    fake.slow(0.2)
    async with asyncio.timeout(10):
        sockets = await asyncio.gather(*(subscribe(client, ["bitcoin"]) for _ in range(100)))
        snapshots = await asyncio.gather(*(receive(ws) for ws in sockets))
    assert {s["prices"]["bitcoin"] for s in snapshots} == {67187.33}
    assert fake.calls["/simple/price"] == 1
    assert crypto_subapp(client)[FEED].subscriber_count == 100
    await asyncio.gather(*(ws.close() for ws in sockets))


async def test_unavailable_prices_are_an_error_then_arrive(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client(**FAST)
    fake.fail(500)
    ws = await subscribe(client, ["bitcoin"])
    error = await receive(ws)
    assert error["type"] == "error"
    assert error["status"] == 502
    assert "unavailable" in error["error"]
    fake.ok()
    assert (await receive(ws))["prices"] == {"bitcoin": 67187.33}
    await ws.close()


async def test_client_close_is_clean(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client(**FAST)
    ws = await subscribe(client, ["bitcoin"])
    await receive(ws)
    await ws.close()
    assert ws.close_code == 1000
    feed = crypto_subapp(client)[FEED]
    for _ in range(200):  # the server side lets go right after the closing handshake
        if not feed.subscriber_count:
            break
        await asyncio.sleep(0.01)
    assert feed.subscriber_count == 0


async def test_shutdown_closes_sockets_with_going_away(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client(**FAST)
    ws = await subscribe(client, ["bitcoin"])
    await receive(ws)
    async with asyncio.timeout(5):
        await client.server.close()  # the gateway shuts down
        message = await ws.receive()
    assert message.type == WSMsgType.CLOSE
    assert message.data == 1001
    assert message.extra == "gateway shutting down"
    assert ws.closed


async def test_plain_get_is_426(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    response = await client.get(WS)
    assert response.status == 426
    assert response.headers["Upgrade"] == "websocket"
    assert response.content_type == "application/problem+json"


async def test_oversized_message_closes_with_1009(make_client: MakeClient, fake: FakeCoinGecko):
    client = await make_client()
    ws = await client.ws_connect(WS)
    await ws.send_str('{"subscribe": ["' + "a" * 70_000 + '"]}')
    async with asyncio.timeout(3):
        message = await ws.receive()
    assert message.type == WSMsgType.CLOSE
    assert message.data == 1009
    feed = crypto_subapp(client)[FEED]
    for _ in range(200):
        if not feed.subscriber_count:
            break
        await asyncio.sleep(0.01)
    assert feed.subscriber_count == 0


async def test_every_subscriber_hears_when_the_feed_goes_stale_and_recovers(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client(**FAST)
    first = await subscribe(client, ["bitcoin"])
    second = await subscribe(client, ["ethereum"])
    assert (await receive(first))["stale"] is False
    assert (await receive(second))["stale"] is False
    await asyncio.sleep(0.5)  # a refresh of both coins has stored its answer
    fake.fail(503)
    for ws in (first, second):
        status = await receive(ws)
        assert status["type"] == "status"
        assert status["state"] == "stale" and status["stale"] is True
    fake.ok()
    for ws in (first, second):
        status = await receive(ws)
        assert status == {
            "type": "status",
            "state": "fresh",
            "stale": False,
            "detail": "CoinGecko answers again: prices are current",
        }
    await first.close()
    await second.close()


async def test_the_followed_coins_budget_is_checked_again_once_first_prices_are_in(
    make_client: MakeClient, fake: FakeCoinGecko
):
    # 11 sockets of 50 real coins each, all fetched at once: none counts against the 500
    # while being fetched, so all are accepted; the one whose prices come in last would make
    # the feed follow 550 and is dropped instead of getting a snapshot.
    for number in range(550):
        fake.set_price(f"coin-{number}", "usd", float(number))
    fake.slow(0.3)
    client = await make_client(ws_refresh=60)
    sockets = [
        await subscribe(client, [f"coin-{n}" for n in range(50 * i, 50 * i + 50)])
        for i in range(11)
    ]
    answers = [await receive(ws) for ws in sockets]
    dropped = [a for a in answers if a["type"] == "error"]
    assert len(dropped) == 1 and "this one is dropped" in dropped[0]["error"]
    assert sum(a["type"] == "prices" and a["snapshot"] for a in answers) == 10
    for ws in sockets:
        await ws.close()
