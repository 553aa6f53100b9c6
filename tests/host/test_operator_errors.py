"""What an operator reads when a config or the machine is wrong: one line per problem naming
the file, the key and the fix, a non-zero exit, and no traceback (issue 34, "Operator")."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from sqlalchemy.engine import make_url

from tests.host.conftest import run_cli
from tests.processes import free_port


def _problems(stderr: str) -> list[str]:
    """The lines of a config error, each one problem."""
    return [line.strip() for line in stderr.splitlines() if line.startswith("  ")]


def test_a_bad_log_level_lists_the_levels(write_config):
    config = write_config('[gateway]\nlog_level = "verbose"\n[plugins.health]\n')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert _problems(result.stderr) == [
        f"{config}: gateway.log_level: Input should be 'debug', 'info', 'warning' or 'error', "
        "got 'verbose'"
    ]
    # As Python's logging spells them: accepted.
    config = write_config('[gateway]\nlog_level = "WARNING"\n[plugins.health]\n')
    assert run_cli("check", "--config", str(config)).returncode == 0


def test_a_port_that_is_not_a_number_says_how_to_write_one(write_config):
    config = write_config('[gateway]\nport = "80a"\n[plugins.health]\n')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    (line,) = _problems(result.stderr)
    assert line.startswith(f"{config}: gateway.port: ")
    assert "(fix: write a whole number without quotes, for example 8080)" in line


def test_a_database_url_with_a_bad_port_says_so(write_config):
    config = write_config(
        '[plugins.notes]\ndatabase_url = "postgresql+asyncpg://app@db.internal:54x2/notes"\n'
    )
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    (line,) = _problems(result.stderr)
    assert line.startswith(f"{config}: plugins.notes.database_url: ")
    assert "the port in the URL, '54x2', is not a number" in line
    assert "invalid literal" not in result.stderr


def test_an_unset_variable_is_reported_once(write_config):
    config = write_config('[gateway]\nport = "${GW_TEST_NEVER_SET_PORT}"\n[plugins.health]\n')
    env = {k: v for k, v in os.environ.items() if k != "GW_TEST_NEVER_SET_PORT"}
    result = run_cli("check", "--config", str(config), env=env)
    assert result.returncode == 2
    assert "1 problem:" in result.stderr
    (line,) = _problems(result.stderr)
    assert line.startswith(f"{config}: gateway.port: environment variable GW_TEST_NEVER_SET_PORT")
    assert "(fix: set GW_TEST_NEVER_SET_PORT" in line


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        # tomllib notices the missing "]" where the next line begins: line 4, not line 3.
        (
            '[gateway]\nhost = "127.0.0.1"\ntrusted_proxies = ["10.0.0.1"\nport = 8080\n',
            "line 3",
            "Unclosed array: 'trusted_proxies = [\"10.0.0.1\"'",
        ),
        ("[gateway]\nport = \n", "line 2, column 8", "Invalid value: 'port ='"),
        ('[gateway]\nhost = "abc\n', "line 2, column 12", "Illegal character"),
    ],
)
def test_a_toml_error_names_the_absolute_file_and_the_line(tmp_path, text, where, what):
    (tmp_path / "plugins.toml").write_text(text, encoding="utf-8")
    # A relative --config, as an operator types it.
    result = run_cli("check", "--config", "plugins.toml", cwd=tmp_path)
    assert result.returncode == 2
    (line,) = _problems(result.stderr)
    assert line.startswith(f"{tmp_path / 'plugins.toml'}: {where}: invalid TOML: {what}"), line
    assert "(fix: " in line
    assert "Traceback" not in result.stderr


def _missing_database_url(base: str) -> str:
    """The real test server (tests/conftest.py's postgres_url), a database it does not have."""
    url = make_url(base).set(database=f"gw_missing_{uuid.uuid4().hex[:8]}")
    return url.render_as_string(hide_password=False)


def test_an_unknown_database_stops_serve_with_the_fix(write_config, postgres_url):
    url = _missing_database_url(postgres_url)
    name = make_url(url).database
    config = write_config(f'[plugins.health]\n[plugins.notes]\ndatabase_url = "{url}"\n')
    result = run_cli("serve", "--config", str(config), "--port", str(free_port()))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    (error,) = errors
    assert f'database "{name}" does not exist' in error
    assert f"createdb -h {make_url(url).host}" in error and name in error
    assert f"(in {config}, [plugins.notes])" in error
    assert "database_url" in error
    assert "sqlalche.me" not in result.stderr and "Background on this error" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]])
def test_a_port_in_use_stops_serve_before_anything_starts(write_config, tmp_path, workers):
    config = write_config(
        '[plugins.health]\n[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///notes.db"\n'
    )
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli("serve", "--config", str(config), "--port", str(port), *workers)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {config}: cannot listen on 127.0.0.1:{port}: the address is already in use "
        f"(fix: stop the process listening there, `ss -ltnp 'sport = :{port}'` shows it, or "
        "choose another port with [gateway] host and port, or --host and --port)"
    ]
    assert "Traceback" not in result.stderr
    assert "draining" not in result.stderr + result.stdout
    assert not (tmp_path / "notes.db").exists()  # nothing migrated, nothing started
    assert len(result.stderr.splitlines()) <= 2  # the error, and at most the event loop's line


def test_an_admin_port_in_use_names_its_setting(write_config):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        admin = taken.getsockname()[1]
        config = write_config(f"[gateway]\nadmin_port = {admin}\n[plugins.health]\n")
        result = run_cli("serve", "--config", str(config), "--port", str(free_port()))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{admin}: the address is already in use" in result.stderr
    assert "[gateway] admin_host and admin_port" in result.stderr
    assert "Traceback" not in result.stderr


STORE_URLS = [
    # (table, key, value, what the line says)
    ("ratelimit", "storage", "redis:/oops", 'not a URL: "redis:" is followed by "//"'),
    ("ratelimit", "storage", "foo://x", "'foo' storage is not supported"),
    ("ratelimit", "storage", "redis://cache.internal:63x9/0", "the port of a Redis URL is"),
    ("auth", "failures_storage", "redis://cache.internal/zero", "database must be a number"),
    ("auth", "failures_storage", "rediss://:secret@/0", "a Redis URL needs a host"),
    ("cache", "storage", "redis:/oops", 'not a URL: "redis:" is followed by "//"'),
    ("crypto", "cache", "redis://h:6379/0?socket_timeout=soon", "redis-py cannot use this URL"),
]


@pytest.mark.parametrize(("table", "key", "value", "says"), STORE_URLS)
def test_a_bad_store_url_names_the_key_and_how_to_write_one(write_config, table, key, value, says):
    extra = 'limits = ["10/minute"]\n' if table == "ratelimit" else ""
    extra += 'apply_to = ["health"]\n' if table == "cache" else ""
    config = write_config(f'[plugins.health]\n[plugins.{table}]\n{extra}{key} = "{value}"\n')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2, result
    (line,) = _problems(result.stderr)
    assert line.startswith(f"{config}: plugins.{table}.{key}: "), line
    assert says in line, line
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr  # a password in the URL is never shown


def test_serve_refuses_a_bad_store_url_before_starting(write_config):
    config = write_config(
        '[plugins.health]\n[plugins.ratelimit]\nlimits = ["10/minute"]\nstorage = "redis:/oops"\n'
    )
    result = run_cli("serve", "--config", str(config), "--port", str(free_port()))
    assert result.returncode == 2, result
    (line,) = _problems(result.stderr)
    assert line.startswith(f"{config}: plugins.ratelimit.storage: "), line
    assert "redis://127.0.0.1:6379/0" in line
    assert "Traceback" not in result.stderr and "Running on" not in result.stdout
