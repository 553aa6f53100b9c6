"""The faults the tests inject: a private Redis they kill and restart, a TCP proxy they cut.

Never the machine's shared servers: :class:`PrivateRedis` is a ``redis-server`` of the test's
own on a free port (no persistence), and :class:`TcpProxy` is an asyncio proxy in front of the
shared PostgreSQL whose connections the test cuts or black-holes; PostgreSQL itself is untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.processes import free_port


def _server_pid(port: int) -> int | None:
    """The pid of the Redis server answering on ``port``, or None while none answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"INFO server\r\n")
            reply = b""
            while b"process_id:" not in reply or not reply.endswith(b"\r\n\r\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        return None
    for line in reply.decode(errors="replace").splitlines():
        if line.startswith("process_id:"):
            return int(line.partition(":")[2])
    return None


class PrivateRedis:
    """``redis-server --port FREE --save '' --appendonly no``, owned by one test."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.started = False  # once: a restart keeps the port clients know

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it answers, as itself: another
        test's server may have taken the "free" port first, and then answers in its place (a
        first start then moves to another port; a restart fails, saying so)."""
        assert self.process is None or self.process.poll() is not None
        for _ in range(5):
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.folder),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._answering():
                return
            assert not self.started, f"port {self.port} was taken while this redis was down"
            self.port = free_port()
            self.url = f"redis://127.0.0.1:{self.port}/0"
        raise AssertionError("redis-server found no free port in 5 tries")

    def _answering(self) -> bool:
        """Whether this process answers on the port (False: it exited, the port is taken)."""
        assert self.process is not None
        deadline = time.monotonic() + 10
        while _server_pid(self.port) != self.process.pid:
            if self.process.poll() is not None:
                return False
            assert time.monotonic() < deadline, "redis-server did not answer in 10 s"
            time.sleep(0.02)
        self.started = True
        return True

    def kill(self) -> None:
        """SIGKILL: the server is gone at once, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


class TcpProxy:
    """An asyncio TCP proxy to ``target`` that a test can cut (reset) or black-hole.

    ``cut()`` closes every open connection (both sides) and keeps accepting;
    ``black_hole()`` keeps accepting and holding connections but forwards nothing, like a
    network partition; ``hold_replies()`` forwards what clients send but holds what the server
    answers (a statement runs, its client never hears); ``heal()`` forwards again.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.holing = False
        self.holding_replies = False
        self._hold_after: bytes | None = None
        self._seen_after = False
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter | None]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def cut(self) -> None:
        """Reset every connection now open through the proxy."""
        for client, upstream in list(self._links):
            for writer in (client, upstream):
                if writer is not None:
                    with contextlib.suppress(Exception):
                        writer.transport.abort()
        self._links.clear()

    def black_hole(self) -> None:
        self.holing = True

    def hold_replies(self, after: bytes | None = None) -> None:
        """Hold the server's replies: from now, or once a client has executed ``after``.

        asyncpg prepares a statement (its text, then a round trip) before it executes it (a
        second message): the replies are held from the message that follows the text on.
        """
        if after is None:
            self.holding_replies = True
        else:
            self._hold_after = after
            self._seen_after = False

    def heal(self) -> None:
        self.holing = False
        self.holding_replies = False
        self._hold_after = None

    @property
    def connections(self) -> int:
        return len(self._links)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link: tuple[asyncio.StreamWriter, asyncio.StreamWriter | None] = (writer, None)
        self._links.add(link)
        try:
            await self._healed()  # a partition: the SYN is answered, nothing else is
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except Exception:
            self._links.discard(link)
            writer.transport.abort()
            return
        self._links.discard(link)
        link = (writer, up_writer)
        self._links.add(link)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, replies=False)),
            asyncio.create_task(self._pump(up_reader, writer, replies=True)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
                self._tasks.discard(task)
            self._links.discard(link)
            for side in (writer, up_writer):
                with contextlib.suppress(Exception):
                    side.transport.abort()

    async def _healed(self, replies: bool = False) -> None:

        while self.holing or (replies and self.holding_replies):  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, replies: bool
    ) -> None:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            if not replies and self._hold_after is not None:
                if self._seen_after:
                    self.holding_replies = True  # this is sent; what the server says is not
                elif self._hold_after in data:
                    self._seen_after = True
            await self._healed(replies)  # bytes in flight are held, not delivered
            writer.write(data)
            await writer.drain()
