"""Source text of small plugins the host tests write to plugin folders and fake distributions."""

HELLO = """
from aiohttp import web
from gateway import PluginInfo, PluginSettings, hookimpl, json_response

__version__ = "1.2.3"


class HelloSettings(PluginSettings):
    greeting: str = "hello"
    api_key: str = ""


async def hello(request):
    return json_response({"greeting": request.app[GREETING], "method": request.method})


GREETING = web.AppKey("hello.greeting", str)


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="hello", default_prefix="/hello", settings=HelloSettings)


@hookimpl
def gateway_create_app(settings):
    app = web.Application()
    app[GREETING] = settings.greeting
    app.router.add_route("*", "/", hello)
    return app
"""

MISSPELT_HOOK = """
from gateway import PluginInfo, hookimpl


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="typo", default_prefix="/typo")


@hookimpl
def gateway_create_ap(settings):
    raise AssertionError("never called")
"""

BROKEN_IMPORT = """
import module_that_does_not_exist  # noqa: F401
"""

SLOW = """
import asyncio

from aiohttp import web
from gateway import PluginInfo, hookimpl, json_response


async def slow(request):
    await asyncio.sleep(float(request.query.get("seconds", "1")))
    return json_response({"slept": True})


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="slow", default_prefix="/slow")


@hookimpl
def gateway_create_app():
    app = web.Application()
    app.router.add_get("/", slow)
    return app
"""

FAILS_AT_START = """
from aiohttp import web
from gateway import PluginInfo, hookimpl


async def connect(app):
    raise ConnectionRefusedError("database at 127.0.0.1:1 refused the connection")
    yield


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="flaky", default_prefix="/flaky")


@hookimpl
def gateway_create_app():
    app = web.Application()
    app.cleanup_ctx.append(connect)
    return app
"""

WHOAMI = """
import asyncio
import os
import time

from aiohttp import web
from gateway import PluginInfo, hookimpl, json_response


async def whoami(request):
    # Blocking on purpose: a busy worker leaves the next connections to the other workers.
    time.sleep(float(request.query.get("block", "0")))
    await asyncio.sleep(float(request.query.get("sleep", "0")))
    return json_response({"pid": os.getpid()})


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="whoami", default_prefix="/whoami")


@hookimpl
def gateway_create_app():
    app = web.Application()
    app.router.add_get("/", whoami)
    return app
"""

# gateway_register_commands gone wrong: the host must report each by name and go on.
REGISTERS_THEN_RAISES = """
from gateway import PluginInfo, hookimpl


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="broken", default_prefix="/broken")


@hookimpl
def gateway_register_commands(subparsers):
    subparsers.add_parser("half-done", help="registered before the failure")
    raise RuntimeError("the plugin's command table is corrupt")
"""

TAKES_SERVE = """
from gateway import hookimpl


def run(args, config):
    print("not the gateway's serve")
    return 0


@hookimpl
def gateway_register_commands(subparsers):
    subparsers.add_parser("serve").set_defaults(handler=run)
"""

GREETS = """
from gateway import hookimpl


def run(args, config):
    print(f"Hello, {args.name}!")
    return 0


@hookimpl
def gateway_register_commands(subparsers):
    command = subparsers.add_parser("greet", help="print a greeting")
    command.add_argument("name")
    command.set_defaults(handler=run, needs_config=False)
"""
