"""`gateway check` offline and with --connect, against a missing folder, a dead Redis and a
black-holed PostgreSQL (the test's own redis-server and TCP proxy)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

from gateway.testing import gateway_app
from tests.faults.servers import PrivateRedis, TcpProxy
from tests.host.conftest import run_cli
from tests.notes.helpers import drop_notes_tables
from tests.postgres import connect


def test_check_reports_a_missing_sqlite_folder_offline(tmp_path: Path):
    config = tmp_path / "plugins.toml"
    config.write_text('[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///absent/notes.db"\n')
    result = run_cli("check", "--config", str(config), env={"GATEWAY_LOAD_PLUGINS": "notes"})
    assert result.returncode == 2, result
    assert "plugins.notes:" in result.stderr
    assert "absent/notes.db does not exist" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
@pytest.mark.slow
async def test_check_connect_tries_every_store(
    tmp_path: Path, private_redis: PrivateRedis, postgres_proxy: tuple[TcpProxy, str], fake
):
    proxy, through_proxy = postgres_proxy
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [plugins.health]
            [plugins.notes]
            database_url = "{through_proxy}"
            connect_timeout = 0.5
            [plugins.crypto]
            base_url = "{fake.url}"
            cache = "{private_redis.url}"
            """
        )
    )
    # Offline, nothing is asked of the stores: it passes as before.
    assert (await gateway_cli("check", "--config", str(config)))[0] == 0
    code, out, err = await gateway_cli("check", "--connect", "--migrate", "--config", str(config))
    assert code == 0, err
    assert "every plugin connected" in out

    private_redis.kill()
    proxy.black_hole()
    code, out, err = await gateway_cli("check", "--connect", "--config", str(config))
    assert code == 1, err
    assert "plugins.crypto: crypto:cache: fail: the redis backend does not answer" in err
    assert "plugins.notes: notes:startup: fail: not open yet" in err
    assert "Traceback" not in err


async def database_tables(postgres_url: str) -> set[str]:
    connection = await connect(postgres_url)
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename LIKE 'notes%'"
        )
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


@pytest.mark.postgres
@pytest.mark.slow
async def test_check_connect_changes_no_database_unless_asked(tmp_path: Path, postgres_url: str):
    await drop_notes_tables(postgres_url)
    config = tmp_path / "plugins.toml"
    config.write_text(f'[plugins.notes]\ndatabase_url = "{postgres_url}"\nconnect_timeout = 2\n')
    code, out, err = await gateway_cli("check", "--connect", "--config", str(config))
    assert code == 1, (out, err)
    assert "plugins.notes:" in err and "has never been migrated" in err, err
    assert "gateway check --connect --migrate" in err, err
    assert "Traceback" not in err
    assert await database_tables(postgres_url) == set()  # nothing was created

    code, out, err = await gateway_cli("check", "--migrate", "--config", str(config))
    assert code == 2
    assert "--migrate goes with --connect" in err

    code, out, err = await gateway_cli("check", "--connect", "--migrate", "--config", str(config))
    assert code == 0, err
    assert "every plugin connected" in out
    assert "notes" in await database_tables(postgres_url)
    # Now current: the plain --connect passes, and still changes nothing.
    code, out, err = await gateway_cli("check", "--connect", "--config", str(config))
    assert code == 0, err


async def test_check_connect_says_the_rate_limiters_redis_is_unreachable(
    tmp_path: Path, private_redis: PrivateRedis
):
    config = tmp_path / "plugins.toml"
    config.write_text(
        f'[plugins.health]\n[plugins.ratelimit]\nlimits = ["10/minute"]\n'
        f'storage = "{private_redis.url}"\n'
    )
    code, out, err = await gateway_cli("check", "--connect", "--config", str(config))
    assert code == 0, err
    private_redis.kill()
    code, out, err = await gateway_cli("check", "--connect", "--config", str(config))
    assert code == 1, (out, err)
    assert "plugins.ratelimit: ratelimit:storage: warn: Redis does not answer" in err, err
    assert str(private_redis.port) not in err.split("does not answer", 1)[1].split("\n")[0]
    assert "Traceback" not in err


async def test_health_shows_the_rate_limiters_redis_down_before_any_request_fails(
    aiohttp_client, tmp_path: Path, private_redis: PrivateRedis
):
    config = {
        "plugins": {
            "health": {},
            "ratelimit": {"limits": ["10/minute"], "storage": private_redis.url},
        }
    }
    client = await aiohttp_client(await gateway_app(config, config_dir=tmp_path))
    health = await (await client.get("/health")).json()
    assert health["checks"]["ratelimit:storage"][0]["status"] == "pass"
    private_redis.kill()
    # No request has been counted since: /health asks Redis itself.
    response = await client.get("/health")
    assert response.status == 200
    check = (await response.json())["checks"]["ratelimit:storage"][0]
    assert check["status"] == "warn"
    assert "Redis does not answer" in check["output"]
    assert (await client.get("/health/ready")).status == 200  # never fails readiness
    private_redis.start()
    health = await (await client.get("/health")).json()
    # Within storage_retry the outage is not asked again; after it, pass.
    assert health["checks"]["ratelimit:storage"][0]["status"] in ("warn", "pass")


async def test_health_shows_the_wrong_key_counts_redis_like_the_other_stores(
    aiohttp_client, tmp_path: Path, private_redis: PrivateRedis
):
    config = {"plugins": {"health": {}, "auth": {"failures_storage": private_redis.url}}}
    client = await aiohttp_client(await gateway_app(config, config_dir=tmp_path))
    check = (await (await client.get("/health")).json())["checks"]["auth:failures_storage"][0]
    assert (check["status"], check["componentType"]) == ("pass", "datastore"), check
    assert check["output"] == "counting wrong keys in Redis"
    private_redis.kill()
    # No key has been checked since: /health asks Redis itself.
    response = await client.get("/health")
    assert response.status == 200
    check = (await response.json())["checks"]["auth:failures_storage"][0]
    assert check["status"] == "warn"
    assert "Redis does not answer" in check["output"]
    assert str(private_redis.port) not in await response.text()  # /health is public
    assert (await client.get("/health/ready")).status == 200  # never fails readiness


async def test_health_shows_wrong_keys_counted_in_memory_as_a_pass(aiohttp_client, tmp_path):
    config = {"plugins": {"health": {}, "auth": {}}}
    client = await aiohttp_client(await gateway_app(config, config_dir=tmp_path))
    check = (await (await client.get("/health")).json())["checks"]["auth:failures_storage"][0]
    assert check["status"] == "pass"
    assert check["output"] == "counting wrong keys in this process's memory"


async def test_check_connect_says_the_wrong_key_counts_redis_is_unreachable(
    tmp_path: Path, private_redis: PrivateRedis
):
    config = tmp_path / "plugins.toml"
    config.write_text(
        f'[plugins.health]\n[plugins.auth]\nfailures_storage = "{private_redis.url}"\n'
    )
    code, out, err = await gateway_cli("check", "--connect", "--config", str(config))
    assert code == 0, err
    private_redis.kill()
    code, out, err = await gateway_cli("check", "--connect", "--config", str(config))
    assert code == 1, (out, err)
    assert "plugins.auth: auth:failures_storage: warn: Redis does not answer" in err, err
    assert "Traceback" not in err


async def gateway_cli(*args: str) -> tuple[int, str, str]:
    """The CLI in a subprocess, while this event loop keeps the proxy forwarding."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
