"""gateway.response_fields through HTTP: the cors and ratelimit fields reach every answer of a
scope they apply to, whoever prepares it (a handler that streams chunks, server-sent events, a
WebSocket), error answers and 304s included, and nothing else is touched."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from gateway import (
    Middleware,
    PluginInfo,
    PluginSettings,
    ProblemError,
    hookimpl,
    on_prepare,
    response_fields,
)

APP = "http://app.example:3000"
ORIGIN = {"Origin": APP}
ETAG = '"v1"'


class Settings(PluginSettings):
    pass


async def chunks(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    for part in (b"one ", b"two ", b"three"):
        await response.write(part)
        await asyncio.sleep(0)
    await response.write_eof()
    return response


async def events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b"data: hello\n\n")
    await response.write_eof()
    return response


async def socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str("hello")
    await ws.close()
    return ws


async def refused(request: web.Request) -> web.Response:
    raise ProblemError(409, "Nope.")


async def cached(request: web.Request) -> web.Response:
    if request.headers.get("If-None-Match") == ETAG:
        raise web.HTTPNotModified(headers={"ETag": ETAG})
    return web.Response(text="fresh", headers={"ETag": ETAG})


async def varied(request: web.Request) -> web.Response:
    return web.Response(text="varied", headers={"Vary": "Accept-Encoding"})


async def own_fields(request: web.Request) -> web.Response:
    """A handler may not add fields where no plugin middleware would put them on its answer."""
    try:
        response_fields(request)
    except RuntimeError as exc:
        return web.Response(text=str(exc))
    return web.Response(text="no error")


class StreamPlugin:
    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="stream", default_prefix="/stream", settings=Settings)

    @hookimpl
    def gateway_create_app(self, settings):
        app = web.Application()
        app.router.add_get("/chunks", chunks)
        app.router.add_get("/events", events)
        app.router.add_get("/ws", socket)
        app.router.add_get("/refused", refused)
        app.router.add_get("/cached", cached)
        app.router.add_get("/varied", varied)
        app.router.add_get("/own", own_fields)
        return app


class QuietPlugin(StreamPlugin):
    """The same routes where no plugin middleware applies."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="quiet", default_prefix="/quiet", settings=Settings)


def config(**cors: Any) -> dict[str, Any]:
    return {
        "plugins": {
            "stream": {},
            "quiet": {},
            "cors": {"origins": [APP], "skip": ["quiet"], **cors},
            "ratelimit": {"limits": ["1000/minute"], "skip": ["quiet"]},
        }
    }


PLUGINS = [("stream", StreamPlugin()), ("quiet", QuietPlugin())]
BUILTINS = ["cors", "ratelimit"]


def assert_fields(response: aiohttp.ClientResponse) -> None:
    headers = response.headers
    assert headers["Access-Control-Allow-Origin"] == APP, dict(headers)
    assert "Origin" in headers.getall("Vary"), dict(headers)
    assert headers["RateLimit-Policy"] == '"1000/minute";q=1000;w=60'
    assert headers["RateLimit"].startswith('"1000/minute";r=')


@pytest.mark.parametrize("path", ["/stream/chunks", "/stream/events"])
async def test_a_streamed_answer_gets_the_cors_and_ratelimit_fields(gateway_client, path):
    client = await gateway_client(config(), plugins=PLUGINS, builtins=BUILTINS)
    async with client.get(path, headers=ORIGIN) as response:
        assert response.status == 200
        assert_fields(response)
        body = await response.read()
    assert body in (b"one two three", b"data: hello\n\n")


async def handshake(port: int, path: str, *extra: bytes) -> CIMultiDict[str]:
    """A WebSocket handshake over a raw socket: aiohttp's client does not show its fields."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n" + b"".join(extra) + b"\r\n"
    )
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode()
    writer.close()
    status, *lines = head.strip().split("\r\n")
    assert status.startswith("HTTP/1.1 101"), head
    return CIMultiDict(line.split(": ", 1) for line in lines)


async def test_a_websocket_handshake_gets_the_fields(gateway_client):
    client = await gateway_client(config(), plugins=PLUGINS, builtins=BUILTINS)
    fields = await handshake(client.port, "/stream/ws", b"Origin: " + APP.encode() + b"\r\n")
    assert fields["Access-Control-Allow-Origin"] == APP
    assert fields["RateLimit-Policy"] == '"1000/minute";q=1000;w=60'
    assert fields["RateLimit"].startswith('"1000/minute";r=')
    assert fields["Upgrade"].lower() == "websocket"


async def test_error_answers_and_304s_keep_their_fields(gateway_client):
    client = await gateway_client(config(), plugins=PLUGINS, builtins=BUILTINS)
    async with client.get("/stream/refused", headers=ORIGIN) as response:
        assert response.status == 409
        assert response.content_type == "application/problem+json"
        assert_fields(response)
    async with client.get("/stream/nothing-here", headers=ORIGIN) as response:
        assert response.status == 404
        assert_fields(response)
    async with client.get("/stream/cached", headers={**ORIGIN, "If-None-Match": ETAG}) as response:
        assert response.status == 304
        assert response.headers["ETag"] == ETAG
        assert_fields(response)


async def test_vary_is_added_to_the_answers_own(gateway_client):
    client = await gateway_client(config(), plugins=PLUGINS, builtins=BUILTINS)
    async with client.get("/stream/varied", headers=ORIGIN) as response:
        tokens = [t.strip() for v in response.headers.getall("Vary") for t in v.split(",")]
        assert sorted(tokens) == ["Accept-Encoding", "Origin"]
    async with client.get("/stream/varied", headers={"Origin": "http://evil.example"}) as answer:
        assert "Access-Control-Allow-Origin" not in answer.headers
        tokens = [t.strip() for v in answer.headers.getall("Vary") for t in v.split(",")]
        assert sorted(tokens) == ["Accept-Encoding", "Origin"]


async def test_a_scope_without_middlewares_gets_none_and_says_so(gateway_client):
    client = await gateway_client(config(), plugins=PLUGINS, builtins=BUILTINS)
    async with client.get("/quiet/chunks", headers=ORIGIN) as response:
        assert response.status == 200
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "RateLimit" not in response.headers
    async with client.get("/quiet/own", headers=ORIGIN) as response:
        assert (
            "no plugin middleware that adds fields (Middleware.adds_fields) applies to /quiet/own"
            in (await response.text())
        )


async def test_fields_on_the_gateways_own_paths_reach_the_plugins_too(gateway_client):
    """With a chain on /_gateway the root application carries the signal: every scope with
    middlewares still gets its fields, once."""
    tables = config()
    tables["plugins"]["ratelimit"]["exempt"] = []  # /_gateway is limited only when asked
    client = await gateway_client(tables, plugins=PLUGINS, builtins=BUILTINS)
    async with client.get("/_gateway/plugins", headers=ORIGIN) as response:
        assert response.status == 200
        assert_fields(response)
    async with client.get("/stream/chunks", headers=ORIGIN) as response:
        assert_fields(response)
        assert response.headers.getall("RateLimit-Policy") == ['"1000/minute";q=1000;w=60']
        assert response.headers.getall("Access-Control-Allow-Origin") == [APP]


async def test_plugin_scopes_only_when_the_gateways_paths_have_no_middlewares(gateway_client):
    tables = config(skip=["quiet", "/_gateway"])
    tables["plugins"]["ratelimit"]["skip"] = ["quiet", "/_gateway"]
    client = await gateway_client(tables, plugins=PLUGINS, builtins=BUILTINS)
    async with client.get("/_gateway/plugins", headers=ORIGIN) as response:
        assert "Access-Control-Allow-Origin" not in response.headers
    async with client.get("/stream/events", headers=ORIGIN) as response:
        assert_fields(response)


class PreparingPlugin:
    """A middleware that registers a gateway.on_prepare callback for every request."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="preparing", settings=Settings)

    @hookimpl
    def gateway_middlewares(self, settings):
        async def mark(request: web.Request, handler) -> web.StreamResponse:
            async def prepared(request: web.BaseRequest, response: web.StreamResponse) -> None:
                # After the response fields: the CORS field is already there.
                seen = response.headers.get("Access-Control-Allow-Origin", "none")
                response.headers.add("X-Prepared", f"{type(response).__name__} {seen}")

            on_prepare(request, prepared)
            return await handler(request)

        return [Middleware("mark", mark)]


@pytest.mark.parametrize("trusted", [[], ["127.0.0.0/8"]])
@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/stream/chunks", "StreamResponse"),
        ("/stream/events", "StreamResponse"),
        ("/stream/varied", "Response"),
        ("/stream/refused", "Response"),
        ("/stream/nothing-here", "Response"),
    ],
)
async def test_on_prepare_callbacks_see_every_answer_once(gateway_client, trusted, path, kind):
    """In memory or streamed, an error or a 404, behind trusted proxies (where the host
    clones the request) or not: the callback runs once, after the fields are put on."""
    tables = config()
    tables["gateway"] = {"trusted_proxies": trusted}
    tables["plugins"]["preparing"] = {"skip": ["quiet"]}
    client = await gateway_client(
        tables, plugins=[*PLUGINS, ("preparing", PreparingPlugin())], builtins=BUILTINS
    )
    headers = {**ORIGIN, "X-Forwarded-For": "203.0.113.9"}
    async with client.get(path, headers=headers) as response:
        assert response.headers.getall("X-Prepared") == [f"{kind} {APP}"]
    async with client.get("/quiet/chunks", headers=headers) as response:
        assert "X-Prepared" not in response.headers


async def test_on_prepare_is_refused_where_no_middleware_applies(gateway_client):
    class Refused:
        @hookimpl
        def gateway_plugin_info(self):
            return PluginInfo(name="refused", default_prefix="/refused", settings=Settings)

        @hookimpl
        def gateway_create_app(self, settings):
            async def view(request: web.Request) -> web.Response:
                async def nothing(request: web.BaseRequest, response: web.StreamResponse) -> None:
                    return None

                try:
                    on_prepare(request, nothing)
                except RuntimeError as exc:
                    return web.Response(text=str(exc))
                return web.Response(text="no error")

            app = web.Application()
            app.router.add_get("/", view)
            return app

    client = await gateway_client({"plugins": {"refused": {}}}, plugins=[("refused", Refused())])
    async with client.get("/refused/") as response:
        assert "(Middleware.adds_fields) applies to /refused/" in await response.text()


class Marker:
    """A middleware-only plugin whose middleware adds no fields (it sets its own header)."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="marker", settings=Settings)

    @hookimpl
    def gateway_middlewares(self):
        async def mark(request: web.Request, handler: Any) -> web.StreamResponse:
            response = await handler(request)
            if not response.prepared:
                response.headers["X-Marked"] = "yes"
            return response

        return [Middleware("mark", mark, adds_fields=False)]


async def test_a_scope_whose_middlewares_add_no_fields_gets_none_prepared(gateway_client):
    plugins = [("stream", StreamPlugin()), ("marker", Marker())]
    client = await gateway_client({"plugins": {"stream": {}, "marker": {}}}, plugins=plugins)
    async with client.get("/stream/own") as response:
        assert response.headers["X-Marked"] == "yes"  # the middleware ran
        text = await response.text()
        assert "no plugin middleware that adds fields (Middleware.adds_fields)" in text, text
    # One that adds fields on the same scope (cors) brings them back, for every answer.
    with_cors = {"plugins": {"stream": {}, "marker": {}, "cors": {"origins": [APP]}}}
    client = await gateway_client(with_cors, plugins=plugins, builtins=["cors"])
    for path in ("/stream/varied", "/stream/chunks"):
        async with client.get(path, headers=ORIGIN) as response:
            assert response.status == 200
            assert response.headers["Access-Control-Allow-Origin"] == APP
    async with client.get("/stream/varied", headers=ORIGIN) as response:
        assert response.headers["X-Marked"] == "yes"
    async with client.get("/stream/own") as response:
        assert await response.text() == "no error"


@pytest.mark.parametrize("trusted", [[], ["127.0.0.0/8"]])
@pytest.mark.parametrize("scope", ["stream", "quiet"])
async def test_every_answer_carries_the_request_id_and_server(gateway_client, trusted, scope):
    """The host's own fields, streamed or not, with or without a middleware, and without the
    handler calling copy_request_id: a sent id is echoed, a missing one is made."""
    tables = config()
    tables["gateway"] = {"trusted_proxies": trusted}
    client = await gateway_client(tables, plugins=PLUGINS, builtins=BUILTINS)
    paths = ["chunks", "events", "varied", "refused", "cached", "nothing-here"]
    for path in paths:
        sent = {"X-Request-ID": f"sent-{path}", "X-Forwarded-For": "203.0.113.9"}
        async with client.get(f"/{scope}/{path}", headers=sent) as response:
            await response.read()
            assert response.headers.getall("X-Request-ID") == [f"sent-{path}"], path
            assert response.headers.getall("Server") == ["gateway"], path
        async with client.get(f"/{scope}/{path}") as response:
            await response.read()
            made = response.headers["X-Request-ID"]
            assert len(made) == 32 and int(made, 16), (path, made)
    fields = await handshake(client.port, f"/{scope}/ws", b"X-Request-ID: sent-ws\r\n")
    assert fields.getall("X-Request-ID") == ["sent-ws"]
    assert fields["Server"] == "gateway"
