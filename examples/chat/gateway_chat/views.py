"""The chat's handlers: the WebSocket room, the greeting page and the redirect to the room."""

from __future__ import annotations

import asyncio
import itertools
import re

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from gateway import (
    ProblemError,
)

from gateway_chat.keys import ROOM, SETTINGS, TEMPLATES
from gateway_chat.room import Member

_NAME = re.compile(r"^[A-Za-z0-9 _.-]{1,32}$")
MAX_GREETED = 64
_anonymous = itertools.count(1)


async def room_socket(request: web.Request) -> web.WebSocketResponse:
    """GET /ws?name=Ada: join the room. Every text is broadcast to every member, and its
    sender is answered "Hello, {text}"; "close" closes. Frames are JSON objects."""
    room, settings = request.app[ROOM], request.app[SETTINGS]
    name = request.query.get("name") or f"member-{next(_anonymous)}"
    if not _NAME.match(name):
        raise ProblemError(
            422,
            "The request has invalid parameters.",
            errors=[{"parameter": "name", "detail": "1 to 32 of A-Z a-z 0-9 space _ . -"}],
        )
    if room.full:
        raise ProblemError(
            503,
            f"The room {room.name!r} is full ({room.max_members} members).",
            headers={"Retry-After": "30"},
        )
    ws = web.WebSocketResponse(
        heartbeat=settings.heartbeat, max_msg_size=settings.max_message_bytes
    )
    await ws.prepare(request)
    member = Member(name, ws, request.transport, asyncio.Queue(settings.send_queue))
    room.join(member)
    try:
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                if message.data == "close":
                    await ws.close(code=WSCloseCode.OK, message=b"bye")
                    break
                room.send(member, {"type": "answer", "text": f"Hello, {message.data}"})
                room.broadcast({"type": "message", "member": name, "text": message.data})
            elif message.type is WSMsgType.BINARY:
                await ws.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"text frames only")
                break
    finally:
        await room.leave(member)
    return ws


@aiohttp_jinja2.template("hello.html", app_key=TEMPLATES)
async def hello(request: web.Request) -> dict[str, object]:
    """GET /hello/{name}: a page greeting {name} (escaped), linking to the room."""
    name = request.match_info["name"]
    if len(name) > MAX_GREETED:
        raise ProblemError(
            422,
            "The request has invalid parameters.",
            errors=[{"parameter": "name", "detail": f"at most {MAX_GREETED} characters"}],
        )
    room = request.app[ROOM]
    return {"name": name, "room": room.name, "members": len(room.members)}


async def welcome(request: web.Request) -> web.StreamResponse:
    """GET /welcome: redirect to the room's page, wherever the chat is mounted; the query
    (``?name=Ada``) goes along."""
    page = request.app.router["static"].url_for(filename="index.html")
    raise web.HTTPFound(location=str(page.with_query(request.query)))
