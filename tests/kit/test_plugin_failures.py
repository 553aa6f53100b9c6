"""A plugin the test names but the gateway cannot load is an error in the test, with the
plugin's name and the real cause; a hook-named function without ``@hookimpl`` is a warning."""

import warnings

import pytest

from gateway.testing import (
    PluginLoadError,
    UndecoratedHookWarning,
    build_config,
    import_folder_plugin,
)
from tests.host.conftest import run_cli
from tests.host.plugin_sources import MISSPELT_HOOK

INFO_RAISES = """
from gateway import PluginInfo, hookimpl


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="hello", default_prefix=PREFIXES["hello"])
"""

UNDECORATED = """
from aiohttp import web
from gateway import PluginInfo, hookimpl


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="quiet", default_prefix="/quiet")


def gateway_create_app(settings):
    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="never served"))
    return app
"""


def plugin(tmp_path, name, source):
    (tmp_path / "my_plugins").mkdir(exist_ok=True)
    path = tmp_path / "my_plugins" / f"{name}.py"
    path.write_text(source)
    return import_folder_plugin(path)


async def test_client_raises_with_the_plugins_name_and_its_real_error(tmp_path, gateway_client):
    hello = plugin(tmp_path, "hello", INFO_RAISES)
    with pytest.raises(PluginLoadError) as caught:
        await gateway_client(plugins=[hello])
    assert str(caught.value) == (
        "plugin 'hello' (registered in code) failed to load: gateway_plugin_info failed: "
        "NameError: name 'PREFIXES' is not defined"
    )
    assert caught.value.name == "hello"
    # The plugin's own exception is the cause: its traceback ends at the plugin's line.
    assert isinstance(caught.value.__cause__, NameError)
    assert caught.value.__cause__.__traceback__.tb_next is not None


async def test_a_config_naming_the_plugin_gets_the_same_error(tmp_path, gateway_client):
    typo = plugin(tmp_path, "typo", MISSPELT_HOOK)
    with pytest.raises(PluginLoadError, match="it implements 'gateway_create_ap', which is not"):
        await gateway_client({"plugins": {"typo": {}}}, plugins=[typo])
    with pytest.raises(PluginLoadError, match="plugin 'typo'"):
        await gateway_client({"plugins": {}}, plugins=[typo])  # not even enabled


def test_cli_helper_raises_too(tmp_path, gateway_cli):
    typo = plugin(tmp_path, "typo", MISSPELT_HOOK)
    with pytest.raises(PluginLoadError, match="plugin 'typo'"):
        gateway_cli("plugins", plugins=[typo])


def test_an_undecorated_hook_is_a_warning_at_its_line(tmp_path):
    quiet = plugin(tmp_path, "quiet", UNDECORATED)
    with pytest.warns(UndecoratedHookWarning) as caught:
        build_config(plugins=[quiet])
    (warning,) = caught.list
    assert str(warning.message) == (
        "plugin 'quiet' (registered in code): gateway_create_app is named like a gateway hook "
        "but has no @hookimpl, so the gateway never calls it (decorate it with "
        "@gateway.hookimpl, or rename it)"
    )
    assert (warning.filename, warning.lineno) == (quiet.__file__, 11)


def test_a_decorated_plugin_gives_no_warning(tmp_path):
    fixed = plugin(
        tmp_path,
        "fixed",
        UNDECORATED.replace("\ndef gateway_create_app", "\n@hookimpl\ndef gateway_create_app"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_config(plugins=[fixed])


def test_check_and_plugins_print_the_warning(tmp_path):
    plugin(tmp_path, "quiet", UNDECORATED)
    (tmp_path / "plugins.toml").write_text(
        '[gateway]\nplugin_dirs = ["my_plugins"]\n\n[plugins.quiet]\n'
    )
    line = (
        f"warning: plugin 'quiet' (folder {tmp_path / 'my_plugins'}): gateway_create_app is "
        "named like a gateway hook but has no @hookimpl, so the gateway never calls it "
        "(decorate it with @gateway.hookimpl, or rename it)"
    )
    listed = run_cli("plugins", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr.splitlines() == [line]
    # The warning comes first: it explains the failure that follows.
    checked = run_cli("check", cwd=tmp_path)
    assert checked.returncode == 2
    assert checked.stderr.splitlines() == [
        line,
        f"{tmp_path / 'plugins.toml'}: plugins.quiet: TypeError: gateway_create_app returned "
        "None, not an aiohttp.web.Application",
    ]
