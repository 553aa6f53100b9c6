"""``gateway chat say``: the plugin's command, run with the testing kit's CLI helper."""

import asyncio
import socket

from conftest import join, next_frame
from gateway.testing import run_gateway_command

import gateway_chat


def config_for(port: int, **chat: object) -> dict:
    return {"gateway": {"host": "127.0.0.1", "port": port}, "plugins": {"chat": chat}}


async def test_say_talks_to_the_running_room(chat):
    client = await chat()
    listener = await join(client, "Ada")
    port = client.server.port
    result = await asyncio.to_thread(
        run_gateway_command,
        "chat",
        "say",
        "hi there",
        "--name",
        "Cy",
        config=config_for(port),
        plugins=[gateway_chat],
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, "Hello, hi there\n", "")
    heard = await next_frame(listener, "message")
    assert heard == {"type": "message", "member": "Cy", "text": "hi there"}


def test_say_without_a_gateway_is_exit_1_with_the_reason(gateway_cli):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    result = gateway_cli("chat", "say", "hi", config=config_for(port), plugins=[gateway_chat])
    assert result.exit_code == 1
    assert f"error: cannot talk to the room at http://127.0.0.1:{port}/chat/ws" in result.stderr


def test_say_needs_the_chat_enabled(gateway_cli):
    config = {"plugins": {"chat": {"enabled": False}}}
    result = gateway_cli("chat", "say", "hi", config=config, plugins=[gateway_chat])
    assert result.exit_code == 2
    assert "does not enable [plugins.chat]" in result.stderr


def test_chat_alone_prints_its_usage(gateway_cli):
    result = gateway_cli("chat", plugins=[gateway_chat])
    assert result.exit_code == 2
    assert "say" in result.stdout
