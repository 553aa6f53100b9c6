"""Discovery from the entry-point group and from plugin folders, and `gateway plugins`."""

import json

import pytest

from gateway.config import ConfigError, load_config
from gateway.testing import gateway_app
from tests.host import plugin_sources
from tests.host.conftest import make_distribution, run_cli


@pytest.fixture
def installed_hello(tmp_path, monkeypatch):
    """A third-party distribution `gateway-hello` 1.2.3 registering `hello` as an entry point."""
    site = tmp_path / "site"
    make_distribution(
        site, "gateway-hello", "1.2.3", "hello", "gateway_hello", plugin_sources.HELLO
    )
    monkeypatch.syspath_prepend(str(site))
    return site


async def test_entry_point_plugin_is_discovered_and_mounted(installed_hello, aiohttp_client):
    app = await gateway_app({"plugins": {"hello": {"greeting": "hi"}}})
    client = await aiohttp_client(app)
    response = await client.get("/hello/")
    assert response.status == 200
    assert await response.json() == {"greeting": "hi", "method": "GET"}


def test_plugins_json_lists_every_plugin(installed_hello, write_config):
    path = write_config(
        """
        [plugins.health]
        [plugins.hello]
        prefix = "/greet"
        api_key = "s3cret"
        """
    )
    result = run_cli(
        "plugins", "--json", "--config", str(path), env={"PYTHONPATH": str(installed_hello)}
    )
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["plugins"]}
    hello = rows["hello"]
    assert hello["version"] == "1.2.3"
    assert hello["source"] == "distribution gateway-hello"
    assert hello["enabled"] is True
    assert hello["prefix"] == "/greet"
    assert hello["status"] == "mounted"
    assert hello["hooks"] == ["gateway_create_app", "gateway_plugin_info"]
    assert hello["settings"] == {"greeting": "hello", "api_key": "***"}
    assert "s3cret" not in result.stdout
    assert rows["health"]["source"] == "built-in"
    assert rows["health"]["status"] == "mounted"


def test_plugins_text_output(installed_hello, write_config):
    path = write_config("[plugins.health]\n")
    result = run_cli("plugins", "--config", str(path), env={"PYTHONPATH": str(installed_hello)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "STATUS", "PREFIX", "SOURCE", "HOOKS"]
    hello = next(line for line in lines if line.startswith("hello "))
    assert "1.2.3" in hello and "disabled" in hello and "distribution gateway-hello" in hello


async def test_plugin_folder_module_and_package(write_config, plugin_folder, aiohttp_client):
    folder = plugin_folder(hello=plugin_sources.HELLO)
    package = folder / "slowpkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .impl import *  # noqa: F403\n")
    (package / "impl.py").write_text(plugin_sources.SLOW)
    path = write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        [plugins.hello]
        [plugins.slow]
        """
    )
    config = load_config(path)
    assert config.plugins["hello"].plugin.source == f"folder {folder}"
    assert config.plugins["hello"].plugin.version == "1.2.3"
    from gateway.app import create_app

    client = await aiohttp_client(await create_app(config))
    assert (await client.get("/hello")).status == 200
    response = await client.get("/slow", params={"seconds": "0"})
    assert await response.json() == {"slept": True}


def test_misspelt_hook_is_an_error(write_config, plugin_folder):
    plugin_folder(typo=plugin_sources.MISSPELT_HOOK)
    path = write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        [plugins.typo]
        """
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert (
        "plugins.typo: the plugin cannot be used: it implements 'gateway_create_ap', which is "
        "not a gateway hook (fix: rename it to 'gateway_create_app', or set enabled = false)"
    ) in message


def test_installed_plugin_without_a_table_is_not_mounted(installed_hello, write_config):
    path = write_config("[plugins.health]\n")
    config = load_config(path)
    assert config.plugins["hello"].enabled is False
    assert [p.name for p in config.enabled()] == ["health"]


def test_load_plugins_variable_limits_discovery(installed_hello, write_config, monkeypatch):
    monkeypatch.setenv("GATEWAY_LOAD_PLUGINS", "health")
    config = load_config(write_config("[plugins.health]\n"))
    assert "hello" not in config.plugins


def test_second_plugin_of_the_same_name_is_listed_as_failed(write_config, plugin_folder):
    plugin_folder(hello=plugin_sources.HELLO, hello_again=plugin_sources.HELLO)
    path = write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        [plugins.health]
        """
    )
    result = run_cli("plugins", "--json", "--config", str(path))
    assert result.returncode == 0, result.stderr
    rows = [row for row in json.loads(result.stdout)["plugins"] if "hello" in row["name"]]
    assert [row["status"] for row in rows] == ["disabled", "failed"]
    assert (
        rows[1]["error"] == f"not used: folder {path.parent / 'my_plugins'} is also named 'hello'"
    )
