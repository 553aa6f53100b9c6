"""Stateless gateway processes on shared PostgreSQL and Redis: real processes, real servers."""

import asyncio
import textwrap
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from tests.host.test_workers import Workers
from tests.postgres import connect
from tests.processes import GatewayProcess, notes_open_in_every_worker

START_TIMEOUT = 60


@pytest.fixture
async def empty_database(postgres_url: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database of this test alone, dropped afterwards."""
    url = make_url(postgres_url)
    name = f"gateway_scale_{uuid.uuid4().hex[:12]}"
    admin = await connect(postgres_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def shared_config(tmp_path, empty_database, redis_url, redis_namespace, fake) -> Path:
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            metrics = true
            [plugins.health]
            [plugins.notes]
            database_url = "{empty_database}"
            [plugins.crypto]
            base_url = "{fake.url}"
            cache = "{redis_url}"
            cache_namespace = "{redis_namespace}"
            ttl = 60
            """
        )
    )
    return config


@pytest.fixture
async def two_gateways(
    shared_config, tmp_path
) -> AsyncIterator[tuple[GatewayProcess, GatewayProcess]]:
    gateways = (
        GatewayProcess(shared_config, tmp_path / "a.log"),
        GatewayProcess(shared_config, tmp_path / "b.log"),
    )
    try:
        for gateway in gateways:
            await gateway.ready(within=START_TIMEOUT)
        yield gateways
    finally:
        for gateway in gateways:
            gateway.stop()


async def test_a_note_written_through_one_is_read_through_the_other(two_gateways):
    a, b = two_gateways
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{a.url}/notes", json={"title": "shared", "priority": 2}) as r:
            assert r.status == 201
            note = await r.json()
        async with session.get(f"{b.url}/notes/{note['id']}") as r:
            assert r.status == 200
            assert await r.json() == note
            etag = r.headers["ETag"]
        async with session.patch(
            f"{b.url}/notes/{note['id']}", json={"priority": 5}, headers={"If-Match": etag}
        ) as r:
            assert r.status == 200
        async with session.get(f"{a.url}/notes/{note['id']}") as r:
            assert (await r.json())["priority"] == 5
            assert r.headers["ETag"] != etag


async def test_a_price_fetched_through_one_is_a_hit_on_the_other(two_gateways, fake):
    a, b = two_gateways
    price = "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"
    async with aiohttp.ClientSession() as session:
        async with session.get(a.url + price) as r:
            assert r.status == 200
            assert r.headers["Cache-Status"].startswith("gateway; fwd=miss")
            body = await r.read()
        async with session.get(b.url + price) as r:
            assert r.status == 200
            assert r.headers["Cache-Status"].startswith("gateway; hit")
            assert await r.read() == body
    assert fake.calls["/simple/price"] == 1


async def test_concurrent_misses_over_both_make_one_upstream_call(two_gateways, fake):
    fake.slow(0.5)  # long enough for every request to arrive while the first call is out
    price = "/v1/crypto/price?ids=ethereum&vs_currencies=eur"
    async with aiohttp.ClientSession() as session:

        async def ask(gateway: GatewayProcess) -> int:
            async with session.get(gateway.url + price) as r:
                await r.read()
                return r.status

        statuses = await asyncio.gather(*(ask(two_gateways[i % 2]) for i in range(20)))
    assert statuses == [200] * 20
    assert fake.calls["/simple/price"] == 1


async def test_five_processes_starting_together_migrate_once(shared_config, tmp_path):
    gateways = [GatewayProcess(shared_config, tmp_path / f"g{i}.log") for i in range(5)]
    try:
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(gateway.ready(within=START_TIMEOUT) for gateway in gateways))
            for gateway in gateways:
                async with session.get(f"{gateway.url}/notes") as r:
                    assert r.status == 200
                    assert await r.json() == {"notes": [], "next": None}
    finally:
        for gateway in gateways:
            gateway.stop()
    logs = [gateway.log.read_text() for gateway in gateways]
    migrated = [log for log in logs if "applied migrations 0001" in log]
    assert len(migrated) == 1, logs


async def test_metrics_across_two_workers_count_cache_and_pool(shared_config, tmp_path, fake):
    group = Workers(shared_config, tmp_path / "workers.log")
    try:
        await group.started()
        await notes_open_in_every_worker(group, within=START_TIMEOUT)
        price = "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"
        connector = aiohttp.TCPConnector(force_close=True)  # new connections: both workers
        async with aiohttp.ClientSession(connector=connector) as session:
            for i in range(40):
                async with session.get(group.url + price) as r:
                    assert r.status == 200
                if i % 10 == 0:
                    async with session.post(f"{group.url}/notes", json={"title": f"n{i}"}) as r:
                        assert r.status == 201
            # The hits are counted with a gateway.Tally: the worker that answers the scrape
            # adds its own first, the other within its flush period (5 s).
            deadline = time.monotonic() + 15
            while True:
                async with session.get(f"{group.url}/metrics") as r:
                    values = {
                        line.split(" ")[0]: float(line.split(" ")[1])
                        for line in (await r.text()).splitlines()
                        if line and not line.startswith("#")
                    }
                asked = (
                    values["gateway_crypto_cache_hits_total"]
                    + values["gateway_crypto_cache_misses_total"]
                )
                if asked == 40 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
    finally:
        group.stop()
    assert asked == 40
    assert values["gateway_crypto_upstream_calls_total"] == fake.calls["/simple/price"]
    assert values["gateway_notes_db_connections_in_use"] == 0
    assert values["gateway_notes_db_pool_capacity"] == 2 * 10  # two live workers
    served = [
        value
        for name, value in values.items()
        if name.startswith("gateway_http_request_duration_seconds_count{")
        and 'route="/v1/crypto/price"' in name
    ]
    assert sum(served) == 40
