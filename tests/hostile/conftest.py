"""One real ``gateway serve`` process for the hostile-input tests, and its log."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import free_port

START_TIMEOUT = 20


@dataclass
class ServedGateway:
    """A running ``gateway serve``: its port, its folder and its log."""

    port: int
    folder: Path
    log_file: Path
    process: subprocess.Popen[bytes]

    def log_mark(self) -> int:
        return self.log_file.stat().st_size

    def log_since(self, mark: int, settle: float = 0.3) -> str:
        time.sleep(settle)  # the server writes its lines after it answers
        with self.log_file.open("rb") as file:
            file.seek(mark)
            return file.read().decode("utf-8", "replace")


def serve(
    folder: Path,
    config: str,
    *,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> ServedGateway:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plugins.toml"
    path.write_text(textwrap.dedent(config), encoding="utf-8")
    port = free_port()
    log_file = folder / "gateway.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--config", str(path), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            preexec_fn=preexec_fn,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gateway exited at start:\n{log_file.read_text()}")
        # Ours once it says so: a port that accepts connections may be another test's
        # gateway that took the same free port first (this one then exits: port in use).
        text = log_file.read_text(errors="replace")
        if any("Running on" in line and f":{port}" in line for line in text.splitlines()):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return ServedGateway(port, folder, log_file, process)
            except OSError:
                pass
        time.sleep(0.05)
    process.kill()
    raise AssertionError("gateway did not start listening in time")


def stop(gateway: ServedGateway) -> None:
    if gateway.process.poll() is None:
        gateway.process.send_signal(signal.SIGTERM)
        try:
            gateway.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gateway.process.kill()
            gateway.process.wait()


NOTES_CONFIG = """
    [gateway]
    metrics = true
    shutdown_timeout = 1
    body_timeout = 2
    max_connections_per_peer = 24
    [plugins.health]
    [plugins.notes]
    database_url = "sqlite+aiosqlite:///notes.db"
    default_limit = 1
"""


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedGateway]:
    """``gateway serve`` with health, notes (SQLite, one note a page) and /metrics."""
    served = serve(tmp_path_factory.mktemp("hostile"), NOTES_CONFIG)
    yield served
    stop(served)
