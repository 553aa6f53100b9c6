"""Start-up work that cannot finish now: liveness answers, readiness says why, notes catch up.

Another process holding the notes migration lock, and a PostgreSQL behind a black-holed proxy,
both against real processes and a real PostgreSQL (the test's own database).
"""

from __future__ import annotations

import asyncio
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest

from gateway.testing import gateway_app
from gateway_plugins.notes.migrate import ADVISORY_LOCK_KEY
from tests.faults.servers import TcpProxy
from tests.notes.helpers import drop_notes_tables
from tests.postgres import connect
from tests.processes import GatewayProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_liveness_answers_while_another_process_holds_the_migration_lock(
    tmp_path: Path, postgres_url: str
):
    await drop_notes_tables(postgres_url)
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            shutdown_timeout = 5
            [plugins.health]
            [plugins.notes]
            database_url = "{postgres_url}"
            """
        )
    )
    holder = await connect(postgres_url)  # "another process" migrating the same database
    await holder.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    gateway = GatewayProcess(config, tmp_path / "gateway.log")
    url, log = gateway.url, gateway.log
    try:
        await gateway.listening(within=20)  # listening while notes waits for the lock
        timeout = aiohttp.ClientTimeout(total=1)  # the probe timeout deploy.md recommends
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(f"{url}/health/live") as response:
                assert response.status == 200
            for _ in range(5):
                async with session.get(f"{url}/health/live") as response:
                    assert response.status == 200
                async with session.get(f"{url}/health/ready") as response:
                    assert response.status == 503
                    check = (await response.json())["checks"]["notes:startup"][0]
                    assert check["status"] == "fail"
                    assert "migration lock" in check["output"]
                async with session.post(f"{url}/notes", json={"title": "early"}) as response:
                    assert response.status == 503
                    assert response.content_type == "application/problem+json"
                    assert response.headers["Retry-After"] == "1"
                await asyncio.sleep(0.2)

            await holder.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
            deadline = time.monotonic() + 15
            while True:
                async with session.get(f"{url}/health/ready") as response:
                    if response.status == 200:
                        break
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.2)
            async with session.post(f"{url}/notes", json={"title": "late"}) as response:
                assert response.status == 201
    finally:
        await holder.close()
        gateway.stop()
    text = log.read_text()
    assert "Traceback" not in text
    assert text.count("notes starts without its database") == 1
    assert "notes database is open" in text


async def test_a_gateway_starts_while_postgresql_is_unreachable(
    aiohttp_client, tmp_path: Path, postgres_url: str, postgres_proxy: tuple[TcpProxy, str]
):
    await drop_notes_tables(postgres_url)
    proxy, through_proxy = postgres_proxy
    proxy.black_hole()  # a partition: connections are accepted, nothing comes back
    config = {
        "plugins": {
            "health": {},
            "notes": {"database_url": through_proxy, "connect_timeout": 0.5},
        }
    }
    started = time.monotonic()
    client = await aiohttp_client(await gateway_app(config, config_dir=tmp_path))
    assert time.monotonic() - started < 5  # bounded by connect_timeout, not the partition
    assert (await client.get("/health/live")).status == 200
    ready = await client.get("/health/ready")
    assert ready.status == 503
    body = await ready.json()
    assert body["checks"]["notes:startup"][0]["status"] == "fail"
    assert body["checks"]["notes:database"][0]["status"] == "warn"  # shared: not required
    early = await client.get("/notes")
    assert early.status == 503
    assert early.content_type == "application/problem+json"

    proxy.heal()
    deadline = time.monotonic() + 15
    while (await client.get("/health/ready")).status != 200:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    assert (await client.post("/notes", json={"title": "after"})).status == 201
