"""gateway-chat: a third-party gateway plugin built from what the aiohttp tutorials teach.

Under its prefix (default /chat): a WebSocket room (/ws), a static page that opens it
(/static/index.html), /welcome redirecting there, a Jinja2 page (/hello/{name}) and a
middleware of its own on its routes only. A health check reports the members connected;
`gateway chat say TEXT` talks to the room from the command line.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, web
from gateway import CheckResult, HealthCheck, PluginInfo, hookimpl

from gateway_chat import cli
from gateway_chat.keys import ROOM, SETTINGS, TEMPLATES
from gateway_chat.middleware import chat_headers
from gateway_chat.room import Room
from gateway_chat.settings import ChatSettings
from gateway_chat.views import hello, room_socket, welcome

HERE = Path(__file__).parent


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="chat",
        default_prefix="/chat",
        settings=ChatSettings,
        description="A WebSocket chat room with a page, a template and a CLI command.",
    )


@hookimpl
def gateway_create_app(settings: ChatSettings) -> web.Application:
    app = web.Application(middlewares=[chat_headers])
    app[SETTINGS] = settings
    app[ROOM] = Room(settings.room, settings.max_members, settings.send_queue)
    aiohttp_jinja2.setup(
        app,
        app_key=TEMPLATES,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    app.router.add_get("/ws", room_socket)
    app.router.add_get("/hello/{name}", hello)
    app.router.add_get("/welcome", welcome)
    app.router.add_get("/", welcome)
    app.router.add_static("/static", HERE / "static", name="static")
    # Before the drain waits for handlers: an open socket would otherwise hold the whole
    # shutdown_timeout. Every member gets a proper close frame (1001 going away).
    app.on_shutdown.append(_close_members)
    return app


async def _close_members(app: web.Application) -> None:
    await app[ROOM].close_all(WSCloseCode.GOING_AWAY, "server shutdown")


@hookimpl
def gateway_health_checks(app: web.Application) -> list[HealthCheck]:
    async def members() -> CheckResult:
        room = app[ROOM]
        count = len(room.members)
        status = "warn" if room.full else "pass"
        return CheckResult(
            status,
            f"{count} of {room.max_members} members connected",
            observed_value=count,
            observed_unit="members",
        )

    return [HealthCheck("members", members)]


@hookimpl
def gateway_register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    cli.register(subparsers)
