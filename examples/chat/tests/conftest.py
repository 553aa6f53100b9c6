"""The chat's tests use only what any plugin author has: the gateway's pytest plugin."""

import asyncio
from typing import Any

import aiohttp
import pytest

import gateway_chat

FRAME_TIMEOUT = 5.0


@pytest.fixture
def chat(gateway_client):
    """``await chat(**settings)``: a started gateway with the chat mounted, and the health
    plugin beside it (its check is part of what the chat promises)."""

    async def start(prefix: str = "/chat", **settings: Any):
        config = {"plugins": {"chat": {"prefix": prefix, **settings}}}
        return await gateway_client(config, plugins=[gateway_chat], builtins=["health"])

    return start


async def next_frame(ws, kind: str) -> dict[str, Any]:
    """The next JSON frame of type ``kind`` (others are skipped), within a few seconds."""
    async with asyncio.timeout(FRAME_TIMEOUT):
        while True:
            frame = await ws.receive_json()
            if frame["type"] == kind:
                return frame


async def join(client, name: str, prefix: str = "/chat", **headers: str):
    ws = await client.ws_connect(f"{prefix}/ws", params={"name": name}, headers=headers)
    await next_frame(ws, "joined")
    return ws


async def members(client) -> int:
    body = await (await client.get("/health")).json()
    return body["checks"]["chat:members"][0]["observedValue"]


async def close_frame(ws):
    """Skip to the close frame and return it (its ``extra`` is the reason)."""
    async with asyncio.timeout(FRAME_TIMEOUT):
        while True:
            message = await ws.receive()
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return message
