"""One real ``gateway serve`` process for the hostile-input tests, and its log."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import GatewayProcess


class ServedGateway(GatewayProcess):
    """A running ``gateway serve`` (tests/processes.py) and its log, read from a mark on."""

    def log_mark(self) -> int:
        return self.log.stat().st_size

    def log_since(self, mark: int, settle: float = 0.3) -> str:
        time.sleep(settle)  # the server writes its lines after it answers
        with self.log.open("rb") as file:
            file.seek(mark)
            return file.read().decode("utf-8", "replace")


def serve(
    folder: Path,
    config: str,
    *,
    env: dict[str, str] | None = None,
    open_files: int | None = None,
) -> ServedGateway:
    """``config`` written to ``folder/plugins.toml`` and served, its log ``folder/gateway.log``;
    returned once it listens. ``open_files``: its descriptor limit (ulimit -n)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plugins.toml"
    path.write_text(textwrap.dedent(config), encoding="utf-8")
    served = ServedGateway(path, folder / "gateway.log", env=env, open_files=open_files)
    return served.wait_listening()


def stop(gateway: ServedGateway) -> None:
    gateway.stop(15)


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
