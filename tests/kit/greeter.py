"""A plugin written the way docs/testing.md tells an author to: settings, a sub-app with a
cleanup context, a static folder, a WebSocket, a health check and a CLI command."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway import CheckResult, HealthCheck, PluginInfo, PluginSettings, hookimpl, json_response
from gateway.config import GatewayConfig


class GreeterSettings(PluginSettings):
    greeting: str = "Hello"


GREETING = web.AppKey("greeter.greeting", str)
# Every open and close of the cleanup context, in order: the tests read it.
EVENTS: list[str] = []
STATIC = Path(__file__).with_name("greeter_static")


async def greet(request: web.Request) -> web.Response:
    return json_response({"message": f"{request.app[GREETING]}, {request.match_info['name']}!"})


async def echo_socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        await ws.send_str(f"{request.app[GREETING]}, {message.data}")
    return ws


async def resource(app: web.Application) -> AsyncIterator[None]:
    EVENTS.append("opened")
    yield
    EVENTS.append("closed")


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="greeter", default_prefix="/greeter", settings=GreeterSettings, version="2.1.0"
    )


@hookimpl
def gateway_create_app(settings: GreeterSettings) -> web.Application:
    app = web.Application()
    app[GREETING] = settings.greeting
    app.cleanup_ctx.append(resource)
    app.router.add_get("/hello/{name}", greet)
    app.router.add_get("/ws", echo_socket)
    app.router.add_static("/static", STATIC)
    return app


@hookimpl
def gateway_health_checks(app: web.Application) -> list[HealthCheck]:
    async def greeting() -> CheckResult:
        return CheckResult("pass", f"greeting is {app[GREETING]!r}")

    return [HealthCheck("greeting", greeting)]


@hookimpl
def gateway_register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    command = subparsers.add_parser("greet", help="print a greeting")
    command.add_argument("name")
    command.set_defaults(handler=run_greet)


def run_greet(args: argparse.Namespace, config: GatewayConfig) -> int:
    plugin = config.plugins["greeter"]
    settings = plugin.settings or GreeterSettings.model_validate(plugin.own_settings)
    print(f"{settings.greeting}, {args.name}!")
    return 0
