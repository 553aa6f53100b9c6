"""gateway/dispatch.py: served by the gateway's runner, a request gets the same answer as under
aiohttp's own ``Application._handle`` (a plain ``AppRunner``), without aiohttp's per-app layers.

Every request below is sent to the same configuration served both ways and the answers are
compared, so a difference in routing, ``request.app``, sub-application middlewares, plugin
middlewares, 404/405 problems or ``Expect`` handling shows up as a failed comparison.
"""

from typing import Any

from aiohttp import web

from gateway import Middleware, PluginInfo, PluginSettings, hookimpl, json_response
from gateway.testing import gateway_app

APP_NAME = web.AppKey("test.app_name", str)


class Settings(PluginSettings):
    pass


class NestedPlugin:
    """A plugin whose sub-application has a middleware of its own and a nested application
    with another; every layer says which application it saw as ``request.app``."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="nested", default_prefix="/nested", settings=Settings)

    @hookimpl
    def gateway_create_app(self, settings):
        def seen_by(label: str):
            @web.middleware
            async def middleware(request, handler):
                response = await handler(request)
                response.headers[f"X-{label}-Saw"] = request.app[APP_NAME]
                return response

            return middleware

        async def where(request: web.Request) -> web.Response:
            return json_response({"app": request.app[APP_NAME], "path": request.path})

        inner = web.Application(middlewares=[seen_by("Inner")])
        inner[APP_NAME] = "inner"
        inner.router.add_get("/x", where)
        app = web.Application(middlewares=[seen_by("Outer")])
        app[APP_NAME] = "outer"
        app.router.add_get("/", where)
        app.router.add_get("/only-get", where)
        app.add_subapp("/inner", inner)
        return app


class PlainPlugin:
    """A plugin without middlewares of its own."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="plain", default_prefix="/plain", settings=Settings)

    @hookimpl
    def gateway_create_app(self, settings):
        async def where(request: web.Request) -> web.Response:
            return json_response({"app": request.app.get(APP_NAME, "?")})

        app = web.Application()
        app[APP_NAME] = "plain"
        app.router.add_get("/", where)
        return app


class DeepPlugin(PlainPlugin):
    """A plugin on a prefix of two segments, as crypto's ``/v1/crypto``."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="deep", default_prefix="/v1/deep", settings=Settings)


class WatcherPlugin:
    """A middleware-only plugin on every scope: reports the ``request.app`` it saw."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="watcher", settings=Settings)

    @hookimpl
    def gateway_middlewares(self):
        async def watch(request, handler):
            seen = request.app.get(APP_NAME, "root")
            response = await handler(request)
            if not response.prepared:
                response.headers["X-Watcher-Saw"] = seen
            return response

        return [Middleware("watch", watch)]


PLUGINS = [
    ("nested", NestedPlugin()),
    ("plain", PlainPlugin()),
    ("deep", DeepPlugin()),
    ("watcher", WatcherPlugin()),
]
CONFIG = {"plugins": {"nested": {}, "plain": {}, "deep": {}, "watcher": {}}}
REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/nested/", {}),
    ("GET", "/nested/inner/x", {}),
    ("GET", "/nested/missing", {}),
    ("POST", "/nested/only-get", {}),
    ("GET", "/nested/inner/missing", {}),
    ("GET", "/plain/", {}),
    ("GET", "/plain/nope", {}),
    ("GET", "/plain", {}),
    ("GET", "/v1/deep/", {}),
    ("GET", "/v1/deep", {}),
    ("GET", "/v1/deep/nope?x=1", {}),
    ("GET", "/v1/other", {}),
    ("GET", "/v1", {}),
    ("GET", "/", {}),
    ("GET", "/plain%2Fnope", {}),
    ("GET", "/_gateway/plugins", {}),
    ("GET", "/nothing-here", {}),
    ("GET", "/plain/", {"Expect": "200-ok"}),
]
COMPARED_HEADERS = ("Content-Type", "X-Outer-Saw", "X-Inner-Saw", "X-Watcher-Saw", "Server")


async def answers(client: Any) -> list[dict[str, Any]]:
    found = []
    for method, path, headers in REQUESTS:
        async with client.request(method, path, headers=headers) as response:
            body = await response.read()
            found.append(
                {
                    "request": f"{method} {path} {headers}",
                    "status": response.status,
                    "headers": {h: response.headers.get(h) for h in COMPARED_HEADERS},
                    "has_request_id": "X-Request-ID" in response.headers,
                    "body": body.decode(),
                }
            )
    return found


async def test_the_gateways_runner_answers_as_aiohttps_own_handling_does(
    aiohttp_client, gateway_client
):
    built = await gateway_app(CONFIG, plugins=PLUGINS, builtins=False)
    plain = await answers(await aiohttp_client(built))
    served = await answers(await gateway_client(CONFIG, plugins=PLUGINS))
    # The 417 is answered before the middlewares: aiohttp's own handling answers it as text,
    # the gateway's runner as problem+json. Everything else is the same.
    *plain_rest, plain_expect = plain
    *served_rest, served_expect = served
    assert served_rest == plain_rest
    assert plain_expect["status"] == served_expect["status"] == 417
    assert served_expect["headers"]["Content-Type"] == "application/problem+json"
    assert served_expect["has_request_id"]


async def test_each_layer_sees_the_application_it_belongs_to(gateway_client):
    client = await gateway_client(CONFIG, plugins=PLUGINS)
    async with client.get("/nested/inner/x") as response:
        assert response.status == 200
        assert await response.json() == {"app": "inner", "path": "/nested/inner/x"}
        assert response.headers["X-Inner-Saw"] == "inner"
        assert response.headers["X-Outer-Saw"] == "outer"
        # A plugin middleware sees the application that answers.
        assert response.headers["X-Watcher-Saw"] == "inner"
    async with client.get("/nested/") as response:
        assert await response.json() == {"app": "outer", "path": "/nested/"}
        assert response.headers["X-Outer-Saw"] == "outer"
        assert "X-Inner-Saw" not in response.headers
    async with client.get("/plain/") as response:
        assert await response.json() == {"app": "plain"}
        assert response.headers["X-Watcher-Saw"] == "plain"
    async with client.get("/_gateway/plugins") as response:
        assert response.status == 200
        assert response.headers["X-Watcher-Saw"] == "root"
    async with client.post("/nested/only-get") as response:
        assert response.status == 405
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.headers["Allow"] == "GET,HEAD"
