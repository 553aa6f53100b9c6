"""WebSockets relayed both ways, closed from either side with the peer's code."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from tests.proxy.upstream import SEEN


async def test_messages_both_ways_and_the_subprotocol(upstream, proxied) -> None:
    server = await upstream("ws")
    client = await proxied([server])
    async with client.ws_connect("/svc/ws", protocols=("chat",)) as ws:
        assert ws.protocol == "chat"
        await ws.send_str("hello")
        assert await ws.receive_str(timeout=5) == "ws:hello"
        await ws.send_bytes(b"\x00\x01" * 1000)
        assert await ws.receive_bytes(timeout=5) == b"\x00\x01" * 1000


async def test_client_close_code_reaches_the_upstream(upstream, proxied) -> None:
    server = await upstream("ws")
    client = await proxied([server])
    ws = await client.ws_connect("/svc/ws")
    await ws.send_str("x")
    await ws.receive_str(timeout=5)
    await ws.close(code=4001, message=b"bye")
    for _ in range(50):
        if ("ws-closed", 4001) in server.app[SEEN]:
            break
        await asyncio.sleep(0.05)
    assert ("ws-closed", 4001) in server.app[SEEN]


async def test_upstream_close_code_reaches_the_client(upstream, proxied) -> None:
    server = await upstream("ws")
    client = await proxied([server])
    ws = await client.ws_connect("/svc/ws")
    await ws.send_str("close:4002")
    message = await ws.receive(timeout=5)
    assert message.type == aiohttp.WSMsgType.CLOSE
    assert message.data == 4002
    await ws.close()


async def test_idle_socket_is_closed(upstream, proxied) -> None:
    server = await upstream("ws")
    client = await proxied([server], timeouts={"idle": 0.4})
    ws = await client.ws_connect("/svc/ws")
    message = await ws.receive(timeout=5)
    assert message.type == aiohttp.WSMsgType.CLOSE
    assert message.data == aiohttp.WSCloseCode.GOING_AWAY


async def test_backpressure_a_slow_reader_slows_the_writer(proxied, aiohttp_server) -> None:
    sent = {"count": 0}

    async def firehose(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        piece = b"z" * 65536
        try:
            while sent["count"] < 2000:  # 125 MiB if nothing held it back
                await ws.send_bytes(piece)
                sent["count"] += 1
        except ConnectionError:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", firehose)
    server = await aiohttp_server(app, host="127.0.0.1")
    client = await proxied([server])
    ws = await client.ws_connect("/svc/ws")
    await asyncio.sleep(1.0)  # the client reads nothing meanwhile
    stalled_at = sent["count"]
    assert stalled_at < 400, stalled_at  # buffers fill, then the upstream waits
    for _ in range(50):
        await ws.receive_bytes(timeout=5)
    await ws.close()


async def test_refused_handshake_is_a_problem(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server])
    response = await client.get(
        "/svc/no-ws-here",
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        },
    )
    assert response.status == 502
    assert "received-status=200" in response.headers["Proxy-Status"]
