"""The WebSocket room: broadcast, the tutorial's answer, close, limits, a reader that never
reads, and the request id on the handshake and in the log."""

import asyncio
import base64
import logging
import os
import socket

import aiohttp
from conftest import close_frame, join, members, next_frame
from gateway.logs import RequestIdFilter
from gateway.testing import assert_problem


async def test_every_message_reaches_every_member_and_the_sender_is_answered(chat):
    client = await chat()
    ada = await join(client, "Ada")
    bo = await join(client, "Bo")
    await ada.send_str("hi")
    assert await next_frame(ada, "answer") == {"type": "answer", "text": "Hello, hi"}
    assert await next_frame(ada, "message") == {"type": "message", "member": "Ada", "text": "hi"}
    assert await next_frame(bo, "message") == {"type": "message", "member": "Ada", "text": "hi"}
    await bo.send_str("yo")
    assert (await next_frame(ada, "message"))["text"] == "yo"
    assert (await next_frame(bo, "answer"))["text"] == "Hello, yo"


async def test_close_closes_with_a_normal_close_frame(chat):
    client = await chat()
    ada = await join(client, "Ada")
    bo = await join(client, "Bo")
    await ada.send_str("close")
    closing = await close_frame(ada)
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert (ada.close_code, closing.extra) == (1000, "bye")
    assert await next_frame(bo, "left") == {"type": "left", "member": "Ada", "members": 1}
    assert await members(client) == 1


async def test_request_id_on_the_handshake_and_in_the_log_lines(chat, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO, logger="gateway_chat")
    client = await chat()
    ada = await join(client, "Ada", **{"X-Request-ID": "chat-req-1"})
    assert ada._response.headers["X-Request-ID"] == "chat-req-1"
    await ada.send_str("close")
    await close_frame(ada)
    await asyncio.sleep(0.05)
    lines = {
        (r.getMessage(), r.request_id) for r in caplog.records if r.name.startswith("gateway_chat")
    }
    assert ("Ada joined lobby (1 members)", "chat-req-1") in lines
    assert ("Ada left lobby (0 members)", "chat-req-1") in lines


async def test_bad_requests_are_problems_before_any_handshake(chat):
    client = await chat(max_members=1)
    await assert_problem(await client.get("/chat/ws"), 426)  # plain GET: the host's answer
    body = await assert_problem(await client.get("/chat/ws", params={"name": "<b>x</b>"}), 422)
    assert body["errors"][0]["parameter"] == "name"
    await join(client, "Ada")
    full = await client.get("/chat/ws", params={"name": "Bo"})
    await assert_problem(full, 503, detail="The room 'lobby' is full (1 members).")
    assert full.headers["Retry-After"] == "30"


async def test_too_big_and_binary_messages_close_with_the_right_code(chat):
    client = await chat(max_message_bytes=1024)
    big = await join(client, "Big")
    await big.send_str("x" * 2000)
    assert (await close_frame(big)).type is aiohttp.WSMsgType.CLOSE
    assert big.close_code == 1009
    binary = await join(client, "Bin")
    await binary.send_bytes(b"\x00\x01")
    assert (await close_frame(binary)).type is aiohttp.WSMsgType.CLOSE
    assert binary.close_code == 1003


async def raw_member_that_never_reads(url, name: str):
    """A member that completes the handshake and then never reads: a small receive buffer,
    asyncio's reading paused almost at once. aiohttp's client always reads, so a raw socket."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (url.host, url.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET {url.path}?name={name} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def drain(ws) -> None:
    async for _ in ws:
        pass


async def test_a_member_that_never_reads_is_dropped_and_the_room_goes_on(chat, caplog):
    client = await chat(send_queue=4, max_message_bytes=65536)
    reader, slow = await raw_member_that_never_reads(client.server.make_url("/chat/ws"), "Slow")
    ada = await join(client, "Ada")
    bo = await join(client, "Bo")
    draining = asyncio.create_task(drain(ada))
    assert await members(client) == 3
    text = "z" * 16384
    for sent in range(1, 2001):
        await ada.send_str(text)
        await next_frame(bo, "message")
        if sent % 20 == 0 and await members(client) == 2:
            break
    else:
        raise AssertionError("the member that never reads was never dropped")
    assert "dropped Slow: not reading (4 frames waiting)" in caplog.text
    await ada.send_str("still here")
    while (frame := await next_frame(bo, "message"))["text"] != "still here":
        pass
    assert frame["member"] == "Ada"
    # The server has let go of it: once what it already sent is read, the socket ends.
    async with asyncio.timeout(10):
        while await reader.read(1 << 16):
            pass
    draining.cancel()
    slow.close()
