"""``gateway chat say TEXT``: join the running gateway's room, say TEXT, print the answer."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import aiohttp
import orjson
from gateway import (
    GatewayConfig,
)

TIMEOUT = 10.0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    chat = subparsers.add_parser("chat", help="talk to the chat room of a running gateway")
    commands = chat.add_subparsers(title="commands", metavar="COMMAND")
    chat.set_defaults(handler=_usage(chat))
    say = commands.add_parser("say", help="say TEXT in the room and print the answer")
    say.add_argument("text")
    say.add_argument("--name", default="cli", help="the member name to use (default: cli)")
    say.add_argument(
        "--url", help="the gateway's base URL (default: [gateway] host and port of the config)"
    )
    # The gateway gives every plugin command --config: the config names the host, port and
    # the chat's prefix.
    say.set_defaults(handler=run_say)


async def run_say(args: argparse.Namespace, config: GatewayConfig) -> int:
    plugin = config.plugins.get("chat")
    if plugin is None or not plugin.enabled or plugin.prefix is None:
        print(f"error: {config.path} does not enable [plugins.chat]", file=sys.stderr)
        return 2
    base = args.url or f"http://{config.gateway.host}:{config.gateway.port}"
    url = f"{base.rstrip('/')}{plugin.prefix}/ws"
    try:
        async with (
            asyncio.timeout(TIMEOUT),
            aiohttp.ClientSession() as session,
            session.ws_connect(url, params={"name": args.name}) as ws,
        ):
            await ws.send_str(args.text)
            async for message in ws:
                frame = orjson.loads(message.data)
                if frame.get("type") == "answer":
                    print(frame["text"])
                    await ws.send_str("close")
                    return 0
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        print(
            f"error: cannot talk to the room at {url}: {type(exc).__name__}: {exc}", file=sys.stderr
        )
        return 1
    print(f"error: {url} closed before answering", file=sys.stderr)
    return 1


def _usage(parser: argparse.ArgumentParser) -> Any:
    def show(args: argparse.Namespace, config: GatewayConfig) -> int:
        parser.print_help()
        return 2

    return show
