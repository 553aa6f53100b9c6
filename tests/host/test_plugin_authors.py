"""What a new plugin author tripped over (issue 14, "Also found"), through the real CLI."""

import json
import textwrap

import pytest

from gateway.app import create_app
from gateway.config import ConfigError, load_config
from tests.host.conftest import make_distribution, run_cli

SHOUT = """
import argparse
from aiohttp import web
from gateway import PluginInfo, PluginSettings, hookimpl, json_response

WHO = {who!r}


class ShoutSettings(PluginSettings):
    volume: int = 11


async def shout(request):
    return json_response({{"from": WHO}})


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="shout", default_prefix="/shout", settings=ShoutSettings,
                      description="Shouts back.", version={version!r})


@hookimpl
def gateway_create_app():
    app = web.Application()
    app.router.add_get("/", shout)
    return app


@hookimpl
def gateway_register_commands(subparsers):
    command = subparsers.add_parser("shout", help="shout a word")
    command.add_argument("word")
    command.set_defaults(handler=run)


def run(args, config):
    plugin = config.plugins["shout"]
    volume = plugin.settings.volume if plugin.settings else "-"
    print(f"{{args.word.upper()}} at {{volume}} from {{WHO}} ({{config.path.name}})")
"""


def shout(who: str, version: str | None = None) -> str:
    return SHOUT.format(who=who, version=version)


@pytest.fixture
def project(tmp_path):
    """A folder plugin `shout` in my_plugins and a plugins.toml enabling it."""
    (tmp_path / "my_plugins").mkdir()
    (tmp_path / "my_plugins" / "shout.py").write_text(shout("folder", "0.3.0"))
    configure(tmp_path)
    return tmp_path


def configure(project, extra: str = "") -> None:
    (project / "plugins.toml").write_text(
        '[gateway]\nplugin_dirs = ["my_plugins"]\n\n[plugins.shout]\nvolume = 3\n'
        + textwrap.dedent(extra)
    )


@pytest.fixture
def installed_shout(tmp_path):
    site = tmp_path / "site"
    make_distribution(site, "gateway-shout", "9.9.9", "shout", "gateway_shout", shout("dist"))
    return {"PYTHONPATH": str(site)}


def test_plugin_command_accepts_the_hosts_config_option(project):
    config = project / "plugins.toml"
    result = run_cli("shout", "hi", "--config", str(config), cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "HI at 3 from folder (plugins.toml)\n"
    before = run_cli("--config", str(config), "shout", "hi", cwd="/")
    assert before.stdout == result.stdout
    helped = run_cli("shout", "--help", "--config", str(config), cwd="/")
    assert "--config" in helped.stdout


def test_folder_plugin_command_without_the_config_says_why(tmp_path, project):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("shout", "--help", cwd=elsewhere)
    assert result.returncode == 2
    assert "plugins.toml: no such config file" in result.stderr
    assert "no command 'shout'. A plugin's commands exist only when the config" in result.stderr
    assert "invalid choice" not in result.stderr


def test_plugins_with_a_broken_config_still_lists_what_it_can(project):
    configure(project, "[plugins.health]\ntimeout = 'soon'\n")
    result = run_cli("plugins", cwd=project)
    assert result.returncode == 2
    assert "plugins.health.timeout" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["NAME", "VERSION", "STATUS"]
    names = {line.split()[0] for line in lines[1:]}
    assert {"health", "notes", "crypto", "shout"} <= names  # the folder plugin too
    listed = json.loads(run_cli("plugins", "--json", cwd=project).stdout)["plugins"]
    row = next(r for r in listed if r["name"] == "shout")
    assert row["status"] == "unknown (config not loaded)"
    assert row["version"] == "0.3.0"


def test_folder_plugin_shows_its_declared_version_and_description(project):
    listed = json.loads(run_cli("plugins", "--json", cwd=project).stdout)["plugins"]
    row = next(r for r in listed if r["name"] == "shout")
    assert (row["version"], row["description"], row["status"]) == (
        "0.3.0",
        "Shouts back.",
        "mounted",
    )


def test_enabled_name_claimed_by_two_plugins_is_a_config_error(project, installed_shout):
    result = run_cli("check", cwd=project, env=installed_shout)
    assert result.returncode == 2, result.stdout
    folder = project / "my_plugins"
    assert (
        f"plugins.shout: 2 plugins are named 'shout': distribution gateway-shout; folder {folder} "
        '(fix: choose one with source = "distribution" or source = "folder" in [plugins.shout], '
        "or remove or rename the other)"
    ) in result.stderr
    assert "not enabled" not in result.stderr


@pytest.mark.parametrize(("source", "who"), [("folder", "folder"), ("distribution", "dist")])
async def test_the_operator_chooses_with_source(
    project, installed_shout, monkeypatch, source, who, aiohttp_client
):
    configure(project, f'source = "{source}"\n')
    result = run_cli("check", cwd=project, env=installed_shout)
    assert result.returncode == 0, result.stderr
    assert "OK (shout at /shout)" in result.stdout
    monkeypatch.syspath_prepend(installed_shout["PYTHONPATH"])
    client = await aiohttp_client(await create_app(load_config(project / "plugins.toml")))
    assert await (await client.get("/shout")).json() == {"from": who}
    listed = json.loads(run_cli("plugins", "--json", cwd=project, env=installed_shout).stdout)
    loser = next(r for r in listed["plugins"] if r["name"] == "shout" and r["status"] == "failed")
    assert loser["error"].startswith("not used: ")


def test_a_source_naming_no_plugin_is_an_error(project):
    configure(project, 'source = "distribution"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(project / "plugins.toml")
    assert "plugins.shout.source: 'distribution' names none of the plugins called 'shout'" in str(
        caught.value
    )


def test_two_plugins_of_one_name_not_enabled_is_fine(project, installed_shout):
    (project / "plugins.toml").write_text('[gateway]\nplugin_dirs = ["my_plugins"]\n')
    result = run_cli("check", cwd=project, env=installed_shout)
    assert result.returncode == 0, result.stderr
    assert "plugin 'shout' from folder" in result.stderr  # the warning names the right one
