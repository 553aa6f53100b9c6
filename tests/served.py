"""A real ``gateway serve`` process on 127.0.0.1 with every built-in plugin, for the tests that
drive it from outside (schemathesis, the browser): crypto on the fake CoinGecko, notes on a
SQLite file, metrics on. Screenshots and reports go to ``test-artefacts/`` (ignored by git)."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.browser import ARTEFACTS
from tests.processes import running


def artefacts(name: str) -> Path:
    """A folder under test-artefacts/ for one test's files (CI keeps the folder)."""
    folder = ARTEFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_config(
    folder: Path, coingecko_url: str, *, cache: str = "memory://", extra: str = ""
) -> Path:
    config = folder / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            metrics = true
            access_log = false
            [plugins.health]
            timeout = 2
            [plugins.notes]
            database_url = "sqlite+aiosqlite:///notes.db"
            [plugins.crypto]
            base_url = "{coingecko_url}"
            cache = "{cache}"
            timeout = 2
            """
        )
        + extra,
        encoding="utf-8",
    )
    return config


@asynccontextmanager
async def running_gateway(config: Path) -> AsyncIterator[str]:
    """``gateway serve --config CONFIG`` on a free port, run in the config's folder (its
    relative SQLite path), its output in ``gateway.log`` there; yields its base URL, then
    SIGTERMs it."""
    log = config.parent / "gateway.log"
    async with running(config, log, cwd=config.parent, stop_within=15) as gateway:
        yield gateway.url


def gateway_log(config: Path) -> str:
    """What the gateway process printed so far."""
    return (config.parent / "gateway.log").read_text(errors="replace")
