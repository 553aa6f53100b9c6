"""One plugin's broken ``gateway_register_commands`` is that plugin's problem: it is reported
by name in one line, its commands are skipped, and every other command works."""

import json
import subprocess
import sys
import types

import pytest

from gateway import hookimpl
from gateway.testing import run_gateway_command
from tests.host import plugin_sources
from tests.host.conftest import make_distribution, run_cli


@pytest.fixture
def installed(tmp_path):
    """Three installed distributions, none enabled: one whose hook raises after adding a
    command, one that takes the name `serve`, and a good one."""
    site = tmp_path / "site"
    for dist, entry, module, source in (
        ("gateway-broken", "broken", "gateway_broken", plugin_sources.REGISTERS_THEN_RAISES),
        ("gateway-usurper", "usurper", "gateway_usurper", plugin_sources.TAKES_SERVE),
        ("gateway-greets", "greets", "gateway_greets", plugin_sources.GREETS),
    ):
        make_distribution(site, dist, "1.0.0", entry, module, source)
    (tmp_path / "plugins.toml").write_text("[plugins.health]\n")
    return {"PYTHONPATH": str(site)}


BROKEN_LINE = (
    "warning: plugin 'broken' (distribution gateway-broken): its commands are skipped: "
    "gateway_register_commands raised RuntimeError: the plugin's command table is corrupt "
    "(fix the plugin, or uninstall it)"
)
USURPER_LINE = (
    "warning: plugin 'usurper' (distribution gateway-usurper): its commands are skipped: "
    "it adds the command 'serve', which the gateway already has (rename the plugin's command)"
)


def test_every_command_works_beside_broken_plugins(installed, tmp_path):
    check = run_cli("check", cwd=tmp_path, env=installed)
    assert check.returncode == 0, check.stderr
    assert "plugins.toml: OK (health at /health)" in check.stdout
    assert check.stderr.splitlines() == [BROKEN_LINE, USURPER_LINE]
    assert "Traceback" not in check.stderr

    listed = run_cli("plugins", "--json", cwd=tmp_path, env=installed)
    assert listed.returncode == 0, listed.stderr
    names = {row["name"] for row in json.loads(listed.stdout)["plugins"]}
    assert {"broken", "usurper", "greets", "health"} <= names

    greeted = run_cli("greet", "Ada", cwd=tmp_path, env=installed)
    assert (greeted.returncode, greeted.stdout) == (0, "Hello, Ada!\n"), greeted.stderr


def test_the_gateways_own_command_keeps_its_name(installed, tmp_path):
    helped = run_cli("serve", "--help", cwd=tmp_path, env=installed)
    assert helped.returncode == 0, helped.stderr
    assert "--workers" in helped.stdout  # the gateway's serve, not the plugin's
    assert "not the gateway's serve" not in helped.stdout


def test_nothing_of_a_skipped_plugin_reaches_the_command_line(installed, tmp_path):
    listing = run_cli("--help", cwd=tmp_path, env=installed)
    assert "greet" in listing.stdout
    assert "half-done" not in listing.stdout  # added before the hook raised: dropped too
    result = run_cli("half-done", cwd=tmp_path, env=installed)
    assert result.returncode == 2
    assert "invalid choice: 'half-done'" in result.stderr


class Second:
    """A plugin that wants a command an earlier plugin already has."""

    @hookimpl
    def gateway_register_commands(self, subparsers):
        subparsers.add_parser("greet", aliases=["hi"])


class AsyncHook:
    @hookimpl
    async def gateway_register_commands(self, subparsers):
        subparsers.add_parser("never")


class Aliased:
    @hookimpl
    def gateway_register_commands(self, subparsers):
        subparsers.add_parser("tidy", aliases=["check"])


def test_clashes_between_plugins_and_async_hooks_are_reported():
    greets = types.ModuleType("gateway_greets_inline")
    exec(plugin_sources.GREETS, greets.__dict__)
    plugins = [("greets", greets), ("second", Second()), ("lazy", AsyncHook())]
    plugins.append(("alias", Aliased()))
    result = run_gateway_command("greet", "Bo", plugins=plugins)
    assert (result.exit_code, result.stdout) == (0, "Hello, Bo!\n")
    lines = result.stderr.splitlines()
    assert lines == [
        "warning: plugin 'second' (registered in code): its commands are skipped: it adds the "
        "command 'greet', which plugin 'greets' already has (rename the plugin's command)",
        "warning: plugin 'lazy' (registered in code): its commands are skipped: "
        "gateway_register_commands is async def, so it registered nothing (make it a plain def)",
        "warning: plugin 'alias' (registered in code): its commands are skipped: it adds the "
        "command 'check', which the gateway already has (rename the plugin's command)",
    ]
    hi = run_gateway_command("hi", plugins=plugins)  # the skipped plugin's alias
    assert hi.exit_code == 2 and "invalid choice: 'hi'" in hi.stderr


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    """`gateway plugins | head -1`: the pipe closes under the command, which says nothing."""
    config = tmp_path / "plugins.toml"
    config.write_text("[plugins.health]\n[plugins.notes]\n[plugins.crypto]\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "plugins", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the command writes its first line, as `head -0` does
    errors = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in errors
    assert "BrokenPipeError" not in errors
