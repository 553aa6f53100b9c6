"""A test plugin with the kinds of answers the compress plugin meets, and raw HTTP helpers:
aiohttp's client decodes bodies itself, so these read the bytes as sent."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import brotli
import pytest
import zstandard
from aiohttp import web

from gateway import PluginInfo, PluginSettings, hookimpl

# 20 KB of JSON: well over min_size, compressible.
DOCUMENT = json.dumps(
    [{"id": i, "name": f"item {i}", "tags": ["a", "b", "c"], "price": i * 1.5} for i in range(300)]
).encode()
STRONG = '"doc-v1"'
EVENTS = [f"id: {i}\ndata: event {i} {'x' * 40}\n\n".encode() for i in range(3)]
RELEASE = web.AppKey("release", list[asyncio.Event])


class Settings(PluginSettings):
    pass


async def document(request: web.Request) -> web.Response:
    held = request.headers.get("If-None-Match", "")
    if STRONG in [tag.strip().removeprefix("W/") for tag in held.split(",")]:
        raise web.HTTPNotModified(headers={"ETag": STRONG})  # weak comparison (RFC 9110)
    headers = {"ETag": STRONG}
    if "cc" in request.query:
        headers["Cache-Control"] = request.query["cc"]
    return web.Response(body=DOCUMENT, content_type="application/json", headers=headers)


async def typed(request: web.Request) -> web.Response:
    return web.Response(body=DOCUMENT, content_type=request.query["type"])


async def small(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def weak(request: web.Request) -> web.Response:
    return web.Response(body=DOCUMENT, content_type="application/json", headers={"ETag": 'W/"w"'})


async def encoded(request: web.Request) -> web.Response:
    return web.Response(
        body=gzip.compress(DOCUMENT),
        content_type="application/json",
        headers={"Content-Encoding": "gzip"},
    )


async def empty(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def not_modified(request: web.Request) -> web.Response:
    raise web.HTTPNotModified(headers={"ETag": STRONG})


async def partial(request: web.Request) -> web.Response:
    return web.Response(
        status=206,
        body=DOCUMENT[:2000],
        content_type="application/json",
        headers={"Content-Range": f"bytes 0-1999/{len(DOCUMENT)}"},
    )


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events; after the first, each waits until the test lets it go: the test
    can only let it go once it has read the one before."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    release = request.app[RELEASE]
    for i, event in enumerate(EVENTS):
        if i:
            await asyncio.wait_for(release[i - 1].wait(), 20)
        await response.write(event)
    await response.write_eof()
    return response


async def if_match(request: web.Request) -> web.Response:
    """The If-Match the handler is given, as JSON."""
    return web.json_response({"If-Match": request.headers.getall("If-Match", [])})


async def release(request: web.Request) -> web.Response:
    request.app[RELEASE][int(request.match_info["i"])].set()
    return web.Response(status=204)


async def sized_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = len(DOCUMENT)
    await response.prepare(request)
    await response.write(DOCUMENT)
    await response.write_eof()
    return response


async def socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str("hello " * 500)
    await ws.close()
    return ws


class SamplePlugin:
    @hookimpl
    def gateway_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="sample", default_prefix="/sample", settings=Settings)

    @hookimpl
    def gateway_create_app(self, settings: Settings) -> web.Application:
        app = web.Application()
        app[RELEASE] = [asyncio.Event() for _ in EVENTS]
        for path, handler in [
            ("/document", document),
            ("/typed", typed),
            ("/small", small),
            ("/weak", weak),
            ("/encoded", encoded),
            ("/empty", empty),
            ("/not-modified", not_modified),
            ("/partial", partial),
            ("/events", events),
            ("/sized-stream", sized_stream),
            ("/ws", socket),
            ("/release/{i}", release),
            ("/if-match", if_match),
        ]:
            app.router.add_get(path, handler)
        return app


PLUGINS = [("sample", SamplePlugin())]


def decode(coding: str | None, raw: bytes) -> bytes:
    """Each coding by a decoder of its own, none of them the gateway's code."""
    if coding is None:
        return raw
    if coding == "gzip":
        return gzip.decompress(raw)
    if coding == "br":
        return brotli.decompress(raw)  # type: ignore[no-any-return]
    if coding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    raise AssertionError(f"unexpected coding {coding}")


def vary_tokens(headers: Any) -> list[str]:
    return [t.strip().lower() for v in headers.getall("Vary", ()) for t in v.split(",")]


class StreamDecoder:
    """An incremental decoder per coding, each the coding's own library."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        if coding == "gzip":
            self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "br":
            self.b = brotli.Decompressor()
        else:
            self.d = zstandard.ZstdDecompressor().decompressobj()

    def feed(self, data: bytes) -> bytes:
        if self.coding == "gzip":
            return self.z.decompress(data)
        if self.coding == "br":
            return self.b.process(data)  # type: ignore[no-any-return]
        return self.d.decompress(data)


async def read_events_one_by_one(
    response: aiohttp.ClientResponse, coding: str, release: Callable[[int], Awaitable[None]]
) -> None:
    """Reads EVENTS from ``response`` (in ``coding``) as they arrive: each decoded by a
    :class:`StreamDecoder` before ``release(i)`` lets the server send the next, so a compressor
    that keeps a write back instead of flushing it makes the read wait (and fail); the whole
    stream decodes to EVENTS."""
    decoder = StreamDecoder(coding)
    decoded = b""
    for i in range(len(EVENTS)):
        expected = b"".join(EVENTS[: i + 1])
        while decoded != expected:
            assert expected.startswith(decoded), decoded
            chunk = await asyncio.wait_for(response.content.readany(), 10)
            assert chunk, f"the stream ended before event {i}"
            decoded += decoder.feed(chunk)
        if i + 1 < len(EVENTS):
            await release(i)
    rest = await asyncio.wait_for(response.content.read(), 10)
    assert decoded + (decoder.feed(rest) if rest else b"") == b"".join(EVENTS)


@pytest.fixture
async def raw() -> AsyncIterator[aiohttp.ClientSession]:
    """A client that leaves bodies as they are sent and asks for no coding of its own."""
    async with aiohttp.ClientSession(
        auto_decompress=False, skip_auto_headers=["Accept-Encoding"]
    ) as session:
        yield session


@pytest.fixture
def compressed(gateway_client: Any):
    async def make(**settings: Any) -> Any:
        config = {"plugins": {"sample": {}, "compress": settings}}
        return await gateway_client(config, plugins=PLUGINS, builtins=["compress"])

    return make
