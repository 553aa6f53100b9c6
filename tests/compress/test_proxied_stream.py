"""Server-sent events from a real upstream through the proxy plugin, compressed by the
compress plugin as they stream: each event decodes at the client before the upstream sends
the next."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from tests.compress.conftest import EVENTS, vary_tokens
from tests.compress.test_compress import _Decoder

RELEASE = web.AppKey("release", list[asyncio.Event])


async def events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for i, event in enumerate(EVENTS):
        if i:
            await asyncio.wait_for(request.app[RELEASE][i - 1].wait(), 20)
        await response.write(event)
    await response.write_eof()
    return response


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
async def test_proxied_events_are_compressed_and_flushed(
    aiohttp_server: Any, gateway_client: Any, raw: Any, coding: str
) -> None:
    upstream = web.Application()
    upstream[RELEASE] = [asyncio.Event() for _ in EVENTS]
    upstream.router.add_get("/events", events)
    server = await aiohttp_server(upstream, host="127.0.0.1")
    config = {
        "plugins": {
            "proxy": {"prefix": "/svc", "upstreams": [str(server.make_url("")).rstrip("/")]},
            "compress": {},
        }
    }
    client = await gateway_client(config, builtins=["proxy", "compress"])
    async with raw.get(client.make_url("/svc/events"), headers={"Accept-Encoding": coding}) as r:
        assert r.status == 200
        assert r.headers["Content-Encoding"] == coding
        assert "accept-encoding" in vary_tokens(r.headers)
        decoder = _Decoder(coding)
        decoded = b""
        for i in range(len(EVENTS)):
            expected = b"".join(EVENTS[: i + 1])
            while decoded != expected:
                assert expected.startswith(decoded), decoded
                chunk = await asyncio.wait_for(r.content.readany(), 10)
                assert chunk, f"the stream ended before event {i}"
                decoded += decoder.feed(chunk)
            if i + 1 < len(EVENTS):
                upstream[RELEASE][i].set()  # only now may the upstream send the next
        rest = await asyncio.wait_for(r.content.read(), 10)
    assert decoded + (decoder.feed(rest) if rest else b"") == b"".join(EVENTS)
