"""Server-sent events from a real upstream through the proxy plugin, compressed by the
compress plugin as they stream: each event decodes at the client before the upstream sends
the next."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from tests.compress.conftest import (
    EVENTS,
    RELEASE,
    events,
    read_events_one_by_one,
    vary_tokens,
)


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

        async def release(i: int) -> None:
            upstream[RELEASE][i].set()  # only now may the upstream send the next

        await read_events_one_by_one(r, coding, release)
