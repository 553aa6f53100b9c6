"""Config errors: each reported by `gateway check` (a subprocess) and by the app factory, naming
the file, the TOML path, what was expected and the fix; never a traceback."""

from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config
from tests.host import plugin_sources
from tests.host.conftest import run_cli

# (case, config text, fragments the one reported problem must contain)
BAD_CONFIGS = [
    (
        "invalid TOML",
        "[gateway]\nport = \n",
        ["invalid TOML", "line 2, column 8"],
    ),
    (
        "unknown plugin",
        "[plugins.helth]\nenabled = true\n",
        ["plugins.helth", "no plugin named 'helth'", "did you mean 'health'?"],
    ),
    (
        "unknown setting",
        "[plugins.health]\ntimeuot = 3\n",
        ["plugins.health.timeuot", "unknown setting", "did you mean 'timeout'?"],
    ),
    (
        "wrong type",
        '[plugins.health]\ntimeout = "soon"\n',
        ["plugins.health.timeout", "valid number", "'soon'"],
    ),
    (
        "wrong type in [gateway]",
        '[gateway]\nport = "eighty"\n',
        ["gateway.port", "valid integer", "'eighty'"],
    ),
    (
        "prefix without a leading slash",
        '[plugins.health]\nprefix = "health"\n',
        ["plugins.health.prefix", "'health' is not a usable URL prefix", 'start it with "/"'],
    ),
    (
        "prefix on the gateway's own path",
        '[plugins.health]\nprefix = "/_gateway/health"\n',
        ["plugins.health.prefix", "overlaps '/_gateway'", "the gateway itself"],
    ),
    (
        "prefix on the gateway's metrics",
        '[plugins.health]\nprefix = "/metrics"\n',
        ["plugins.health.prefix", "overlaps '/metrics'", "the gateway itself"],
    ),
    (
        "unknown table",
        "[server]\nport = 1\n",
        ["server", "unknown table", "only [gateway] and [plugins.NAME]"],
    ),
    (
        "unset environment variable",
        '[gateway]\nhost = "${GATEWAY_TEST_UNSET_HOST}"\n',
        ["gateway.host", "GATEWAY_TEST_UNSET_HOST is not set", "${GATEWAY_TEST_UNSET_HOST:-value}"],
    ),
    (
        "a collector threshold that would turn it off",
        "[gateway]\ngc_thresholds = [0, 10, 10]\n",
        ["gateway.gc_thresholds", "at least 100", "gc_thresholds = [10000, 50, 100]"],
    ),
    (
        "missing plugin folder",
        '[gateway]\nplugin_dirs = ["./nowhere"]\n',
        ["gateway.plugin_dirs[0]", "nowhere is not a folder"],
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "fragments"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS]
)
def test_check_reports_the_error(write_config, case, text, fragments):
    path = write_config(text)
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("case", "text", "fragments"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS]
)
def test_factory_raises_the_same_error(write_config, case, text, fragments):
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert len(caught.value.issues) == 1
    message = str(caught.value)
    assert message.startswith(str(path.absolute()) if case != "invalid TOML" else str(path))
    for fragment in fragments:
        assert fragment in message


def test_every_error_is_reported_not_just_the_first(write_config):
    path = write_config(
        """
        [gateway]
        port = 0

        [plugins.health]
        prefix = "health/"
        colour = "blue"

        [plugins.nots]
        """
    )
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    assert "4 problems" in result.stderr
    for where in ("gateway.port", "plugins.health.prefix", "plugins.health.colour", "plugins.nots"):
        assert f"{path}: {where}:" in result.stderr


def test_overlapping_prefixes(write_config, plugin_folder, tmp_path):
    plugin_folder(hello=plugin_sources.HELLO)
    path = write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        [plugins.health]
        prefix = "/api"
        [plugins.hello]
        prefix = "/api/hello"
        """
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [issue] = caught.value.issues
    assert issue.path == "plugins.hello.prefix"
    assert "'/api/hello' overlaps '/api' of [plugins.health]" in issue.message


def test_same_prefix_twice(write_config, plugin_folder):
    plugin_folder(hello=plugin_sources.HELLO)
    path = write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        [plugins.health]
        prefix = "/x"
        [plugins.hello]
        prefix = "/x"
        """
    )
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    assert "plugins.hello.prefix: '/x' overlaps '/x' of [plugins.health]" in result.stderr


def test_environment_values_and_defaults(write_config, monkeypatch):
    monkeypatch.setenv("GATEWAY_TEST_PORT", "9123")
    path = write_config(
        """
        [gateway]
        port = "${GATEWAY_TEST_PORT}"
        host = "${GATEWAY_TEST_UNSET_HOST:-0.0.0.0}"
        """
    )
    config = load_config(path)
    assert config.gateway.port == 9123
    assert config.gateway.host == "0.0.0.0"


def test_missing_config_file_names_the_fix(tmp_path: Path):
    result = run_cli("check", "--config", str(tmp_path / "absent.toml"))
    assert result.returncode == 2
    assert "absent.toml: no such config file" in result.stderr
    assert "--config" in result.stderr


def test_config_from_environment_variable(write_config, tmp_path):
    path = write_config("[plugins.health]\n")
    result = run_cli("check", cwd=tmp_path.parent, env={"GATEWAY_CONFIG": str(path)})
    assert result.returncode == 0, result.stderr
    assert "OK (health at /health)" in result.stdout


def test_enabled_plugin_that_fails_to_import_stops_the_check(write_config, plugin_folder):
    plugin_folder(broken=plugin_sources.BROKEN_IMPORT)
    path = write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        [plugins.broken]
        """
    )
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    assert "plugins.broken: the plugin cannot be used: failed to import" in result.stderr
    assert "No module named 'module_that_does_not_exist'" in result.stderr
    assert "set enabled = false" in result.stderr


def test_plugin_that_fails_to_import_is_a_warning_when_not_enabled(write_config, plugin_folder):
    plugin_folder(broken=plugin_sources.BROKEN_IMPORT)
    path = write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        [plugins.health]
        [plugins.broken]
        enabled = false
        """
    )
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert "plugin 'broken' (not enabled) failed to import" in result.stderr


def test_production_example_is_a_valid_config(monkeypatch):
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "plugins.production.toml"
    monkeypatch.setenv("NOTES_DATABASE_URL", "postgresql+asyncpg://notes:s3cret@db.internal/notes")
    monkeypatch.setenv("CRYPTO_CACHE_URL", "redis://cache.internal:6379/0")
    monkeypatch.setenv("COINGECKO_API_KEY", "CG-test")
    config = load_config(example)
    assert [p.name for p in config.enabled()] == ["crypto", "health", "notes"]
    assert config.plugins["crypto"].settings.cache == "redis://cache.internal:6379/0"
    assert config.gateway.host == "0.0.0.0"


def test_production_example_names_missing_secrets(monkeypatch):
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "plugins.production.toml"
    for name in ("NOTES_DATABASE_URL", "CRYPTO_CACHE_URL", "COINGECKO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as caught:
        load_config(example)
    paths = {issue.path for issue in caught.value.issues}
    assert {"plugins.notes.database_url", "plugins.crypto.cache", "plugins.crypto.api_key"} <= paths


def test_secrets_from_files(tmp_path, monkeypatch):

    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "coingecko").write_text("CG-from-a-file\n")
    (secrets / "db").write_text("s3cret\n")
    monkeypatch.setenv("GATEWAY_TEST_DB_PASSWORD_FILE", str(secrets / "db"))
    monkeypatch.delenv("GATEWAY_TEST_DB_PASSWORD", raising=False)
    monkeypatch.setenv("GATEWAY_LOAD_PLUGINS", "crypto,notes")
    path = tmp_path / "plugins.toml"
    path.write_text(
        """
[plugins.crypto]
api_plan = "demo"
api_key = "${file:secrets/coingecko}"
[plugins.notes]
database_url = "postgresql+asyncpg://gw:${GATEWAY_TEST_DB_PASSWORD}@db/notes"
"""
    )
    config = load_config(str(path))
    assert config.plugins["crypto"].settings.api_key == "CG-from-a-file"
    assert config.plugins["notes"].settings.database_url.endswith("gw:s3cret@db/notes")

    (secrets / "coingecko").unlink()
    with pytest.raises(ConfigError) as failure:
        load_config(str(path))
    # First the unreadable file; then the empty key it leaves is reported by the plugin too.
    issue = failure.value.issues[0]
    assert issue.path == "plugins.crypto.api_key"
    assert "cannot read" in issue.message and "secrets/coingecko" in issue.message
