"""Real ``gateway serve`` processes for the tests that drive one from outside: a free port,
the process with its output in a file, and the ways to wait for it (listening, ready, a line
in its log)."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import aiohttp

# Seconds a process may take to start (a cold import of every plugin on a loaded machine).
START_TIMEOUT = 30.0


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
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *extra],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            # open_files: the process's descriptor limit (ulimit -n), soft and hard.
            preexec_fn=None if open_files is None else partial(_limit_files, open_files),
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def _alive_before(self, deadline: float, waiting_for: str) -> None:
        assert self.process.poll() is None, f"gateway exited:\n{self.text()}"
        assert time.monotonic() < deadline, f"{waiting_for}:\n{self.text()}"

    def wait_listening(self, within: float = START_TIMEOUT) -> GatewayProcess:
        """Once its port accepts connections (blocking: for tests without an event loop)."""
        deadline = time.monotonic() + within
        while True:
            self._alive_before(deadline, "gateway did not start listening in time")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)

    async def listening(self, within: float = START_TIMEOUT) -> GatewayProcess:
        """Once its port accepts connections, the event loop free meanwhile."""
        return await asyncio.to_thread(self.wait_listening, within)

    async def ready(self, within: float = START_TIMEOUT) -> GatewayProcess:
        """Once ``/health/ready`` answers 200: readiness, not liveness, which answers while
        notes still waits for another process's migration lock."""
        deadline = time.monotonic() + within
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
