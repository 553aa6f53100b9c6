"""`gateway check` offline and with --connect, against a missing folder, a dead Redis and a
black-holed PostgreSQL (the test's own redis-server and TCP proxy)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

from tests.faults.servers import PrivateRedis, TcpProxy
from tests.host.conftest import run_cli


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
    code, out, err = await gateway_cli("check", "--connect", "--config", str(config))
    assert code == 0, err
    assert "every plugin connected" in out

    private_redis.kill()
    proxy.black_hole()
    code, out, err = await gateway_cli("check", "--connect", "--config", str(config))
    assert code == 1, err
    assert "plugins.crypto: crypto:cache: fail: the redis backend does not answer" in err
    assert "plugins.notes: notes:startup: fail: not open yet" in err
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
