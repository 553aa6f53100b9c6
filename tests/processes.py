"""Real ``gateway serve`` processes for the tests that drive one from outside: a free port,
the process with its output in a file, and the ways to wait for it (listening, ready, a line
in its log).

A free port is free when it is chosen, not when the process binds it: two tests may be given
the same one, and the second gateway then exits (port in use) while the first answers on it.
So a process is waited for until its own log says it listens on its port, never merely until
something accepts connections there."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Protocol, Self

import aiohttp

# Seconds a process may take to start (a cold import of every plugin on a loaded machine).
START_TIMEOUT = 30.0
# How a gateway says it listens: `gateway serve`'s banner (a line of text, or the message of a
# JSON line) and, with --workers, gunicorn's arbiter ("Listening at: http://HOST:PORT (PID)").
ANNOUNCED = r"(?:Running on|Listening at:) .*:{port}(?!\d)"


def _limit_files(count: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GatewayProcess:
    """``gateway serve`` (with ``extra`` arguments: ``--workers 2``) on a free port, its
    output (stdout and stderr) in ``log``, run in ``cwd`` (default: the tests' own)."""

    def __init__(
        self,
        config: Path,
        log: Path,
        *extra: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        open_files: int | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._terminated = False
        command = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port), *extra],
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                # open_files: the process's descriptor limit (ulimit -n), soft and hard.
                preexec_fn=None if open_files is None else partial(_limit_files, open_files),
            )

    def __enter__(self) -> Self:
        """``with GatewayProcess(...) as gateway``: once it listens; stopped on the way out."""
        return self.wait_listening()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def _alive_before(self, deadline: float, waiting_for: str) -> None:
        assert self.process.poll() is None, f"gateway exited:\n{self.text()}"
        if time.monotonic() >= deadline:
            self.process.kill()  # not left running for the tests after this one
            self.process.wait(5)
            raise AssertionError(f"{waiting_for}:\n{self.text()}")

    def wait_listening(self, within: float = START_TIMEOUT) -> Self:
        """Once its log says it listens on its port and the port accepts connections
        (blocking: for tests without an event loop)."""
        deadline = time.monotonic() + within
        announced = re.compile(ANNOUNCED.format(port=self.port))
        while True:
            self._alive_before(deadline, "gateway did not start listening in time")
            if announced.search(self.text()):
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                        return self
                except OSError:
                    pass
            time.sleep(0.05)

    async def listening(self, within: float = START_TIMEOUT) -> Self:
        """:meth:`wait_listening`, the event loop free meanwhile."""
        return await asyncio.to_thread(self.wait_listening, within)

    async def ready(self, within: float = START_TIMEOUT) -> Self:
        """Once it listens (:meth:`listening`) and ``/health/ready`` answers 200: readiness,
        not liveness, which answers while notes still waits for another process's migration
        lock."""
        deadline = time.monotonic() + within
        await self.listening(within)
        async with aiohttp.ClientSession() as session:
            while True:
                self._alive_before(deadline, "gateway never became ready")
                try:
                    async with session.get(f"{self.url}/health/ready") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)

    async def logged(self, pattern: str, count: int = 1, within: float = START_TIMEOUT) -> None:
        """Once ``pattern`` (a regular expression) is in its output ``count`` times."""
        deadline = time.monotonic() + within
        while len(re.findall(pattern, self.text())) < count:
            self._alive_before(deadline, f"no {pattern!r} in the log")
            await asyncio.sleep(0.05)

    def terminate(self) -> None:
        """SIGTERM, once: a second one kills a gateway that is shutting down."""
        if not self._terminated and self.process.poll() is None:
            self._terminated = True
            self.process.terminate()

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM unless :meth:`terminate` sent it (SIGKILL after ``timeout`` seconds); its
        exit code."""
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(5)


@asynccontextmanager
async def running(
    config: Path,
    log: Path,
    *extra: str,
    ready: bool = False,
    stop_within: float = 20,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> AsyncIterator[GatewayProcess]:
    """A :class:`GatewayProcess` once it listens (with ``ready``, once it is ready), stopped
    on the way out; its exit code is then :meth:`GatewayProcess.stop`'s answer."""
    gateway = GatewayProcess(config, log, *extra, env=env, cwd=cwd)
    try:
        yield await (gateway.ready() if ready else gateway.listening())
    finally:
        # Off the event loop, which may serve what the gateway talks to while it shuts down.
        await asyncio.to_thread(gateway.stop, stop_within)


class Logs(Protocol):
    """A gateway's output, as :class:`GatewayProcess` (and tests/host's ``Workers``) read it."""

    def text(self) -> str: ...

    async def logged(self, pattern: str, count: int = 1, within: float = START_TIMEOUT) -> None: ...


async def notes_open_in_every_worker(
    gateway: Logs, workers: int = 2, within: float = START_TIMEOUT
) -> None:
    """Once every worker's notes has its database. Readiness answered by one worker says
    nothing of the others: a worker that found another migrating an empty database answers
    notes 503 until it has opened it."""
    await gateway.logged(r"mounted notes at", workers, within=within)
    waiting = gateway.text().count("notes starts without its database")
    if waiting:
        await gateway.logged(r"notes database is open", waiting, within=within)
