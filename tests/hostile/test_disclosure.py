"""What the gateway says about itself: no upstream address, no versions, no secrets, no
traceback for an expected lock timeout."""

import signal
import sqlite3
import textwrap

import pytest

from tests.host.conftest import run_cli
from tests.host.test_workers import Workers
from tests.hostile.conftest import serve, stop
from tests.hostile.raw import one, request
from tests.processes import free_port

pytestmark = pytest.mark.slow  # each module serves a real gateway process


def test_upstream_down_502_and_health_do_not_show_its_address(tmp_path):
    closed = free_port()  # nothing listens there
    served = serve(
        tmp_path,
        f"""
        [gateway]
        shutdown_timeout = 1
        [plugins.health]
        [plugins.crypto]
        base_url = "http://127.0.0.1:{closed}"
        # Call failures are logged when they open the circuit: the first one does here.
        circuit_failures = 1
        """,
    )
    try:
        answer = one(served.port, request("GET", "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"))
        assert answer.status == 502
        assert answer.header("Content-Type") == "application/problem+json"
        assert "refused" in answer.json()["detail"].lower()
        health = one(served.port, request("GET", "/health"))
        for body in (answer.body, health.body):
            assert str(closed).encode() not in body
            assert b"127.0.0.1" not in body
        assert str(closed) in served.log_since(0)  # the operator's log keeps it
    finally:
        stop(served)


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health/live HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n",
    ],
)
def test_the_server_header_names_no_versions(gateway, raw):
    answer = one(gateway.port, raw)
    assert answer.header("Server") == "gateway"


def test_an_sqlite_lock_timeout_is_a_503_and_one_log_line(tmp_path):
    served = serve(
        tmp_path,
        """
        [gateway]
        shutdown_timeout = 1
        [plugins.notes]
        database_url = "sqlite+aiosqlite:///notes.db"
        sqlite_busy_timeout = 0.2
        """,
    )
    locker = sqlite3.connect(tmp_path / "notes.db", isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        mark = served.log_mark()
        body = b'{"title": "blocked"}'
        headers = {"Content-Type": "application/json"}
        answer = one(served.port, request("POST", "/notes", headers=headers, body=body))
        assert answer.status == 503
        assert answer.header("Retry-After") == "1"
        log = served.log_since(mark)
        assert "Traceback" not in log
        lines = [line for line in log.splitlines() if "notes database unavailable" in line]
        assert len(lines) == 1 and "WARNING" in lines[0]
    finally:
        locker.execute("ROLLBACK")
        locker.close()
        stop(served)


SECRET = "s3cr3t-PASS-42"
CONFIGS = {
    "an api_key set while the plan is public": f"""
        [plugins.crypto]
        api_key = "CG-{SECRET}"
        """,
    "a PostgreSQL URL with the wrong driver": f"""
        [plugins.notes]
        database_url = "postgresql://notes:{SECRET}@db.internal/notes"
        """,
    "a Redis URL with a bad db number": f"""
        [plugins.crypto]
        cache = "redis://:{SECRET}@cache.internal:6379/notanumber"
        """,
    "an api_key of the wrong type": """
        [plugins.crypto]
        api_plan = "demo"
        api_key = 424242424242
        """,
    "a plugin table that is not a table": f"""
        [plugins]
        notes = "postgresql://notes:{SECRET}@db.internal/notes"
        """,
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_config_errors_never_echo_secrets(tmp_path, config):
    path = tmp_path / "plugins.toml"
    path.write_text(textwrap.dedent(config))
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2, result.stderr
    assert "error:" in result.stderr or "problem" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert "424242424242" not in result.stderr + result.stdout


@pytest.mark.slow
async def test_a_refused_sighup_does_not_write_the_secret_to_the_masters_log(tmp_path):
    config = tmp_path / "plugins.toml"
    config.write_text("[gateway]\nshutdown_timeout = 2\n[plugins.health]\n")
    group = Workers(config, tmp_path / "gateway.log")
    try:
        await group.started()
        config.write_text(
            textwrap.dedent(
                f"""
                [gateway]
                shutdown_timeout = 2
                [plugins.health]
                [plugins.notes]
                database_url = "postgresql://notes:{SECRET}@db.internal/notes"
                """
            )
        )
        group.process.send_signal(signal.SIGHUP)
        await group.logged("reload refused")
        assert "plugins.notes.database_url" in group.text()
        assert SECRET not in group.text()
        assert "notes:***@db.internal" in group.text()
    finally:
        group.stop()
