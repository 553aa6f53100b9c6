"""gateway.testing as a plugin author meets it: the pytest11 fixtures, the problem+json
assertions, the CLI runner and the folder-plugin import, against real servers and files."""

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import pytest

from gateway import Middleware, PluginInfo, hookimpl
from gateway.config import ConfigError
from gateway.testing import (
    CONFIG_LABEL,
    assert_problem,
    build_config,
    import_folder_plugin,
    run_gateway_command,
)
from tests.kit import greeter


async def test_plugin_alone_is_started_like_production_and_cleaned_up(gateway_client):
    greeter.EVENTS.clear()
    client = await gateway_client(plugins=[greeter])
    assert greeter.EVENTS == ["opened"]  # cleanup_ctx ran before the first request
    response = await client.get("/greeter/hello/Ada")
    assert await response.json() == {"message": "Hello, Ada!"}
    listed = await (await client.get("/_gateway/plugins")).json()
    assert [row["name"] for row in listed["plugins"]] == ["greeter"]  # hermetic: nothing else
    await client.close()
    assert greeter.EVENTS == ["opened", "closed"]


async def test_settings_come_from_the_config_dict(gateway_client):
    client = await gateway_client(
        {"plugins": {"greeter": {"greeting": "Howdy"}}}, plugins=[greeter]
    )
    assert await (await client.get("/greeter/hello/Bo")).json() == {"message": "Howdy, Bo!"}


async def test_beside_the_health_plugin_its_check_is_reported(gateway_client):
    client = await gateway_client(plugins=[greeter], builtins=["health"])
    body = await (await client.get("/health")).json()
    assert body["checks"]["greeter:greeting"][0]["status"] == "pass"


async def test_beside_every_built_in(gateway_client):
    client = await gateway_client(plugins=[greeter], builtins=True)
    listed = await (await client.get("/_gateway/plugins")).json()
    mounted = {row["name"] for row in listed["plugins"] if row["status"] == "mounted"}
    assert mounted == {"greeter", "health", "notes", "crypto"}
    assert (await client.get("/notes")).status == 200  # its SQLite file went to tmp_path


async def test_assert_problem_accepts_the_gateways_errors_and_rejects_others(gateway_client):
    client = await gateway_client(plugins=[greeter])
    body = await assert_problem(await client.get("/greeter/nowhere"), 404)
    assert body["title"] == "Not Found"
    with pytest.raises(AssertionError, match="expected 404, got 200"):
        await assert_problem(await client.get("/greeter/hello/x"), 404)
    with pytest.raises(AssertionError, match="detail"):
        await assert_problem(await client.get("/greeter/nowhere"), 404, detail="something else")


async def test_static_404_and_plain_get_on_a_websocket_are_problems(gateway_client):
    client = await gateway_client(plugins=[greeter])
    page = await client.get("/greeter/static/index.html")
    assert page.status == 200 and "<h1>hi</h1>" in await page.text()
    await assert_problem(
        await client.get("/greeter/static/missing.html"), 404, detail="No file matches this path."
    )
    plain = await client.get("/greeter/ws")
    body = await assert_problem(plain, 426, detail_contains="This is a WebSocket endpoint")
    assert plain.headers["Upgrade"] == "websocket"
    assert body["title"] == "Upgrade Required"


async def test_websocket_handshake_carries_the_request_id(gateway_client):
    client = await gateway_client(plugins=[greeter])
    async with client.ws_connect("/greeter/ws", headers={"X-Request-ID": "kit-ws-1"}) as ws:
        assert ws._response.headers["X-Request-ID"] == "kit-ws-1"
        await ws.send_str("Ada")
        assert await ws.receive_str() == "Hello, Ada"


async def test_a_real_url_for_other_clients(gateway_client):
    client = await gateway_client(plugins=[greeter])
    url = client.server.make_url("/greeter/hello/Cy")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert url.host == "127.0.0.1"
        assert await response.json() == {"message": "Hello, Cy!"}


def test_a_dict_configs_errors_name_no_file():
    with pytest.raises(ConfigError) as caught:
        build_config({"plugins": {"greeter": {"greetin": "x"}}}, plugins=[greeter])
    message = str(caught.value)
    assert message.startswith(f"{CONFIG_LABEL}: plugins.greeter.greetin: unknown setting")
    assert "did you mean 'greeting'?" in message
    assert "plugins.toml" not in message


def test_cli_command_runs_with_the_test_config(gateway_cli):
    result = gateway_cli(
        "greet", "Ada", config={"plugins": {"greeter": {"greeting": "Hi"}}}, plugins=[greeter]
    )
    assert result == type(result)(0, "Hi, Ada!\n", "")


def test_cli_usage_error_is_exit_2(gateway_cli):
    result = gateway_cli("greet", plugins=[greeter])
    assert result.exit_code == 2
    assert "the following arguments are required: name" in result.stderr


async def test_cli_from_an_async_test_through_a_thread(gateway_client):
    # The documented way to run a command while the same test's server must keep answering.
    await gateway_client(plugins=[greeter])
    result = await asyncio.to_thread(run_gateway_command, "greet", "Bo", plugins=[greeter])
    assert result.stdout == "Hello, Bo!\n"


def test_plugins_listing_through_the_cli_helper(gateway_cli):
    result = gateway_cli("plugins", "--json", plugins=[greeter])
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)["plugins"]
    assert (row["name"], row["version"], row["status"]) == ("greeter", "2.1.0", "mounted")


async def test_import_folder_plugin_file_and_package(tmp_path, gateway_client):
    folder = tmp_path / "my_plugins"
    (folder / "shout" / "static").mkdir(parents=True)
    (folder / "shout" / "static" / "page.html").write_text("<p>loud</p>")
    (folder / "shout" / "__init__.py").write_text(SHOUT_PACKAGE)
    (folder / "quiet.py").write_text(QUIET_MODULE)
    shout = import_folder_plugin(folder / "shout")
    quiet = import_folder_plugin(folder / "quiet.py")
    client = await gateway_client(plugins=[shout, quiet])
    assert await (await client.get("/shout/static/page.html")).text() == "<p>loud</p>"
    assert await (await client.get("/quiet")).text() == "psst"


async def test_folder_plugins_through_plugin_dirs(tmp_path, gateway_client):
    (tmp_path / "my_plugins").mkdir()
    (tmp_path / "my_plugins" / "quiet.py").write_text(QUIET_MODULE)
    client = await gateway_client(
        {"gateway": {"plugin_dirs": ["my_plugins"]}, "plugins": {"quiet": {}}}
    )
    assert await (await client.get("/quiet")).text() == "psst"


SHOUT_PACKAGE = """
from pathlib import Path
from aiohttp import web
from gateway import PluginInfo, hookimpl


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="shout", default_prefix="/shout")


@hookimpl
def gateway_create_app():
    app = web.Application()
    app.router.add_static("/static", Path(__file__).with_name("static"))
    return app
"""

QUIET_MODULE = """
from aiohttp import web
from gateway import PluginInfo, hookimpl


async def quiet(request):
    return web.Response(text="psst")


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="quiet", default_prefix="/quiet")


@hookimpl
def gateway_create_app():
    app = web.Application()
    app.router.add_get("/", quiet)
    return app
"""


def test_kit_is_documented():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "testing.md").read_text()
    for name in (
        "gateway_client",
        "gateway_cli",
        "assert_problem",
        "import_folder_plugin",
        "builtins",
        "asyncio_mode",
        "gateway[testing]",
        "asyncio.to_thread",
    ):
        assert name in docs, name


class Stamp:
    """A middleware-only plugin decorating every answer, errors included."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="stamp")

    @hookimpl
    def gateway_middlewares(self):
        async def stamp(request, handler):
            response = await handler(request)
            if not response.prepared:
                response.headers["X-Stamp"] = "yes"
            return response

        return [Middleware("stamp", stamp)]


async def test_plugin_middlewares_see_a_missing_static_file_as_a_problem(gateway_client):
    client = await gateway_client(plugins=[greeter, ("stamp", Stamp())])
    missing = await client.get("/greeter/static/missing.html")
    await assert_problem(missing, 404, detail="No file matches this path.")
    assert missing.headers["X-Stamp"] == "yes"
    found = await client.get("/greeter/static/index.html")
    assert found.status == 200 and found.headers["X-Stamp"] == "yes"


async def test_with_an_admin_port_client_admin_reaches_the_admin_listener(gateway_client):
    # The configured admin_port is taken on purpose: the kit listens on a free port instead.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = {
            "gateway": {"admin_port": taken.getsockname()[1], "metrics": True},
            "plugins": {"greeter": {}},
        }
        client = await gateway_client(config, plugins=[greeter], builtins=["health"])
    admin = client.admin
    assert admin is not client and admin.port not in (client.port, config["gateway"]["admin_port"])
    for path in ("/_gateway/plugins", "/_gateway/status", "/metrics", "/health/ready"):
        assert (await admin.get(path)).status == 200, path
        await assert_problem(await client.get(path), 404)  # as gateway serve's public address
    assert (await client.get("/greeter/hello/Ada")).status == 200
    await assert_problem(await admin.get("/greeter/hello/Ada"), 404)
    url = admin.make_url("/_gateway/plugins")  # the real URL, for any other client
    assert str(url).startswith(str(client.gateway_server.admin_url))
    async with aiohttp.ClientSession() as other:
        async with other.get(url) as response:
            assert response.status == 200
        await client.close()  # both listeners close with the client
        with pytest.raises(aiohttp.ClientConnectionError):
            await other.get(url)


async def test_without_an_admin_port_client_admin_is_the_client(gateway_client):
    client = await gateway_client(plugins=[greeter])
    assert client.admin is client
    assert (await client.admin.get("/_gateway/plugins")).status == 200
