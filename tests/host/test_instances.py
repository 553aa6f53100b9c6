"""Plugin instances: one plugin enabled several times under names of the operator's choosing,
each with its own settings, prefix, health checks and middleware scope."""

import pytest
from aiohttp import web

from gateway import (
    CheckResult,
    HealthCheck,
    Middleware,
    PluginInfo,
    PluginSettings,
    hookimpl,
    json_response,
)
from gateway.config import ConfigError
from gateway.testing import build_config, gateway_app


class GreeterSettings(PluginSettings):
    greeting: str = "hello"


class Greeter:
    """A plugin that may be enabled many times: each instance greets with its own settings."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="greeter", default_prefix="/greeter", settings=GreeterSettings)

    @hookimpl
    def gateway_create_app(self, settings):
        app = web.Application()

        async def greet(request: web.Request) -> web.Response:
            return json_response({"greeting": settings.greeting})

        app.router.add_get("/", greet)
        return app

    @hookimpl
    def gateway_health_checks(self, settings):
        async def check() -> CheckResult:
            return CheckResult("pass", output=settings.greeting)

        return [HealthCheck("greeting", check)]


class Counter:
    """A plugin labelling what it counts by the instance it is: gateway_create_app's
    ``instance`` argument (Greeter above, without it, shows older plugins keep working)."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="counter", default_prefix="/counter")

    @hookimpl
    def gateway_create_app(self, instance, config_dir):
        app = web.Application()

        async def who(request: web.Request) -> web.Response:
            return json_response({"instance": instance})

        app.router.add_get("/", who)
        return app


async def test_a_plugin_is_told_the_name_of_its_instance(aiohttp_client):
    config = """
    [plugins.counter]
    [plugins.orders]
    plugin = "counter"
    prefix = "/orders"
    """
    client = await aiohttp_client(await gateway_app(config, plugins=[Counter()]))
    assert (await (await client.get("/orders/")).json()) == {"instance": "orders"}
    assert (await (await client.get("/counter/")).json()) == {"instance": "counter"}


class Single:
    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="single", default_prefix="/single", single_instance=True)

    @hookimpl
    def gateway_create_app(self):
        return web.Application()


class Stamp:
    """A middleware-only plugin marking the answers of the scopes it is applied to."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="stamp")

    @hookimpl
    def gateway_middlewares(self):
        async def stamp(request, handler):
            response = await handler(request)
            response.headers["X-Stamped"] = "yes"
            return response

        return [Middleware("stamp", stamp)]


TWO_GREETERS = """
[plugins.greeter]
greeting = "hello"

[plugins.billing]
plugin = "greeter"
prefix = "/billing"
greeting = "invoice"

[plugins.stamp]
apply_to = ["billing"]

[plugins.health]
"""


async def test_each_instance_has_its_own_settings_prefix_checks_and_scope(aiohttp_client):
    app = await gateway_app(TWO_GREETERS, plugins=[Greeter(), Stamp()], builtins=["health"])
    client = await aiohttp_client(app)

    default = await client.get("/greeter/")
    assert (await default.json()) == {"greeting": "hello"}
    assert "X-Stamped" not in default.headers  # the middleware applies to billing only
    billing = await client.get("/billing/")
    assert (await billing.json()) == {"greeting": "invoice"}
    assert billing.headers["X-Stamped"] == "yes"

    report = await (await client.get("/_gateway/plugins")).json()
    rows = {row["name"]: row for row in report["plugins"]}
    assert rows["billing"]["plugin"] == "greeter"
    assert rows["billing"]["label"] == "billing (greeter)"  # as gateway plugins prints it
    assert rows["greeter"]["label"] == "greeter"
    assert rows["billing"]["prefix"] == "/billing"
    assert rows["billing"]["status"] == "mounted"
    assert rows["billing"]["settings"]["greeting"] == "invoice"
    assert rows["greeter"]["plugin"] == "greeter"
    assert report["middlewares"]["/billing"] == [{"name": "stamp:stamp", "priority": 800}]
    assert report["middlewares"]["/greeter"] == []

    health = await (await client.get("/health")).json()
    outputs = {name: results[0]["output"] for name, results in health["checks"].items()}
    assert outputs["billing:greeting"] == "invoice"
    assert outputs["greeter:greeting"] == "hello"

    document = await (await client.get("/openapi.json")).json()
    tags = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    assert tags["billing"].startswith("An instance of greeter.")
    assert "/billing/" in document["paths"] or "/billing" in document["paths"]


async def test_an_instance_alone_without_the_default_one(aiohttp_client):
    config = """
    [plugins.greeter]
    enabled = false

    [plugins.shop]
    plugin = "greeter"
    prefix = "/shop"
    greeting = "buy"
    """
    client = await aiohttp_client(await gateway_app(config, plugins=[Greeter()]))
    assert (await (await client.get("/shop/")).json()) == {"greeting": "buy"}
    assert (await client.get("/greeter/")).status == 404


def _issues(config: str, plugins: list) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        build_config(config, plugins=plugins)
    return [issue.format("plugins.toml") for issue in caught.value.issues]


def test_a_single_instance_plugin_refuses_a_second_table():
    issues = _issues(
        """
        [plugins.single]
        [plugins.again]
        plugin = "single"
        prefix = "/again"
        """,
        [Single()],
    )
    assert issues == [
        "plugins.toml: plugins.again: the plugin 'single' allows only one instance, and "
        "[plugins.single] is already one (fix: enable it under one table only (disable "
        "[plugins.again] or [plugins.single]))"
    ]


def test_an_instance_of_an_unknown_plugin_names_what_is_installed():
    issues = _issues('[plugins.billing]\nplugin = "greter"\n', [Greeter()])
    assert issues == [
        "plugins.toml: plugins.billing.plugin: no plugin named 'greter' (installed: greeter) "
        "(fix: did you mean 'greeter'?)"
    ]


def test_an_instance_may_not_take_an_installed_plugins_name():
    issues = _issues('[plugins.single]\nplugin = "greeter"\nprefix = "/x"\n', [Greeter(), Single()])
    assert len(issues) == 1
    assert "plugins.single: 'single' is the name of an installed plugin" in issues[0]


def test_two_instances_on_one_prefix_are_refused_by_name():
    issues = _issues('[plugins.greeter]\n[plugins.billing]\nplugin = "greeter"\n', [Greeter()])
    assert len(issues) == 1
    assert issues[0].startswith("plugins.toml: plugins.billing.prefix: '/greeter' overlaps")


def test_the_builtin_health_and_notes_allow_one_instance_each():
    with pytest.raises(ConfigError) as caught:
        build_config(
            '[plugins.health]\n[plugins.health2]\nplugin = "health"\nprefix = "/h2"\n',
            builtins=[],
        )
    assert "the plugin 'health' allows only one instance" in str(caught.value)
