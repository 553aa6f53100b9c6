"""A real upstream service for the proxy tests: echoes what it received, on request fails."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from typing import Any

from aiohttp import web

NAME = web.AppKey("upstream.name", str)
SEEN = web.AppKey("upstream.seen", list)
# /slow?hold=1 answers only once the test sets this: a request held for as long as the test
# needs it, however slow the machine, rather than for a number of seconds.
RELEASE = web.AppKey("upstream.release", asyncio.Event)


async def echo(request: web.Request) -> web.StreamResponse:
    request.app[SEEN].append(request)
    digest = hashlib.sha256()
    size = 0
    async for piece in request.content.iter_any():
        digest.update(piece)
        size += len(piece)
    return web.json_response(
        {
            "name": request.app[NAME],
            "method": request.method,
            "raw_path": request.raw_path,
            "headers": [[k, v] for k, v in request.headers.items()],
            "size": size,
            "sha256": digest.hexdigest(),
        },
        headers={
            "Connection": "close, X-Upstream-Secret",
            "X-Upstream-Secret": "s",
            "Keep-Alive": "timeout=5",
        },
    )


async def status(request: web.Request) -> web.Response:
    request.app[SEEN].append(request)
    return web.Response(status=int(request.match_info["code"]), text=request.app[NAME])


async def redirect(request: web.Request) -> web.Response:
    where = request.query["to"]
    return web.Response(status=302, headers={"Location": where, "Content-Location": where})


def slow_arrivals(app: web.Application) -> int:
    """How many ``/slow`` requests the upstream ``app`` has received, held or answered."""
    return sum(1 for r in app[SEEN] if r.path == "/slow")


async def until_held(servers: Iterable[Any], count: int = 1) -> None:
    """Until ``count`` ``/slow`` requests have reached ``servers`` (test servers of
    :func:`upstream_app`), at most 10 s."""
    servers = list(servers)
    async with asyncio.timeout(10):
        # SEEN is a plain list each upstream appends to: polled, as it has no event to wait on.
        while sum(slow_arrivals(s.app) for s in servers) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def release(*servers: Any) -> None:
    """Answer the ``/slow?hold=1`` requests ``servers`` hold, and any that come later."""
    for server in servers:
        server.app[RELEASE].set()


async def held(request: web.Request) -> web.Response:
    """``GET /held``: how many ``/slow`` requests have arrived (for a test in another
    process, as :func:`until_held` counts them in its own)."""
    return web.json_response({"held": slow_arrivals(request.app)})


async def release_view(request: web.Request) -> web.Response:
    """``POST /release``: :func:`release`, for a test in another process."""
    request.app[RELEASE].set()
    return web.Response(status=204)


async def slow(request: web.Request) -> web.Response:
    request.app[SEEN].append(request)
    if "hold" in request.query:
        await request.app[RELEASE].wait()
    else:
        await asyncio.sleep(float(request.query.get("s", "5")))
    return web.Response(text="late")


async def stream(request: web.Request) -> web.StreamResponse:
    """``size`` bytes in pieces of 64 KiB; with ``die=N`` the process stops after N bytes."""
    size = int(request.query["size"])
    die = int(request.query.get("die", "-1"))
    response = web.StreamResponse()
    response.content_length = size
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    piece = b"x" * 65536
    sent = 0
    while sent < size:
        if 0 <= die <= sent:
            request.transport.close()
            raise asyncio.CancelledError
        chunk = piece[: size - sent]
        await response.write(chunk)
        sent += len(chunk)
    await response.write_eof()
    return response


async def websocket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("chat",))
    await ws.prepare(request)
    async for message in ws:
        if message.type == web.WSMsgType.TEXT:
            if message.data.startswith("close:"):
                await ws.close(code=int(message.data[6:]), message=b"upstream closes")
                break
            await ws.send_str(f"{request.app[NAME]}:{message.data}")
        elif message.type == web.WSMsgType.BINARY:
            await ws.send_bytes(message.data)
    request.app[SEEN].append(("ws-closed", ws.close_code))
    return ws


def upstream_app(name: str = "a") -> web.Application:
    app = web.Application()
    app[NAME] = name
    app[SEEN] = []
    app[RELEASE] = asyncio.Event()
    app.router.add_get("/ws", websocket)
    app.router.add_route("*", "/status/{code}", status)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/slow", slow)
    app.router.add_get("/held", held)
    app.router.add_post("/release", release_view)
    app.router.add_get("/stream", stream)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


if __name__ == "__main__":  # a target the tests can kill: python -m tests.proxy.upstream PORT
    import sys

    web.run_app(
        upstream_app(sys.argv[2] if len(sys.argv) > 2 else "p"),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        print=None,
    )
