"""SIGTERM with members connected: a real `gateway serve` process, real sockets. Every member
gets a proper close frame (1001) and the process exits well within shutdown_timeout."""

import asyncio
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import pytest
from conftest import close_frame, next_frame

pytestmark = pytest.mark.slow

SHUTDOWN_TIMEOUT = 10
START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    port = free_port()
    config = tmp_path / "plugins.toml"
    config.write_text(
        f"[gateway]\nport = {port}\nshutdown_timeout = {SHUTDOWN_TIMEOUT}\n\n"
        '[plugins.health]\n\n[plugins.chat]\nroom = "den"\n'
    )
    # The chat is an installed distribution here: found through its entry point.
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert process.poll() is None, process.stdout.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.05)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_sigterm_closes_every_member_properly_and_exits_in_time(served):
    process, base = served
    async with aiohttp.ClientSession(base) as session:
        ada = await session.ws_connect(
            "/chat/ws", params={"name": "Ada"}, headers={"X-Request-ID": "sigterm-ada"}
        )
        bo = await session.ws_connect("/chat/ws", params={"name": "Bo"})
        await next_frame(bo, "joined")
        await ada.send_str("before the end")
        await next_frame(bo, "message")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        closes = await asyncio.gather(close_frame(ada), close_frame(bo))
        for ws, closing in zip((ada, bo), closes, strict=True):
            assert closing.type is aiohttp.WSMsgType.CLOSE
            assert (ws.close_code, closing.extra) == (1001, "server shutdown")
    code = await asyncio.to_thread(process.wait, SHUTDOWN_TIMEOUT + 5)
    took = time.monotonic() - started
    log = process.stdout.read()
    assert code == 0, log
    # Closing the room is immediate: the drain does not wait out shutdown_timeout.
    assert took < SHUTDOWN_TIMEOUT / 2, f"{took:.1f}s\n{log}"
    assert "mounted chat at /chat (distribution gateway-chat 0.1.0)" in log
    assert "[sigterm-ada] Ada joined den (1 members)" in log
    assert "[sigterm-ada] Ada left den" in log
