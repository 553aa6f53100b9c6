"""A real ``gateway serve`` process on 127.0.0.1 with every built-in plugin, for the tests that
drive it from outside (schemathesis, the browser): crypto on the fake CoinGecko, notes on a
SQLite file, metrics on. Screenshots and reports go to ``test-artefacts/`` (ignored by git)."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.browser import ARTEFACTS
from tests.processes import free_port

START_TIMEOUT = 30.0


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
    """``gateway serve --config CONFIG`` on a free port; yields its base URL, then SIGTERMs it."""
    port = free_port()
    log = (config.parent / "gateway.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
        cwd=config.parent,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.returncode is not None:
                raise AssertionError(f"gateway exited at start:\n{_log(config)}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("gateway did not start listening in time") from None
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            break
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


def _log(config: Path) -> str:
    return (config.parent / "gateway.log").read_text(errors="replace")


def gateway_log(config: Path) -> str:
    """What the gateway process printed so far."""
    return _log(config)
