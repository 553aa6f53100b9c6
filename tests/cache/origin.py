"""An origin the cache tests control, on 127.0.0.1: what it answers is said by the query.

``/r/{name}?cc=max-age%3D60&etag=v1&lm=100&vary=Accept-Language&size=10&stream=1&delay=0.2``:
``cc`` is its Cache-Control, ``expires`` seconds until its Expires, ``etag`` its ETag (a
matching If-None-Match gets 304), ``lm`` seconds since its Last-Modified, ``vary`` its Vary,
``age`` an Age it claims, ``cookie`` a Set-Cookie, ``size`` bytes of padding, ``stream`` a
body it streams itself, ``delay`` seconds before it answers. The body names the call
(``call 3``), so a test sees which fill answered. ``app[CALLS][name]`` counts the calls per
name, ``app[SEEN][name]`` keeps each call's request fields, ``app[FAILING]`` makes every
answer a 503.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from email.utils import formatdate

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

CALLS = web.AppKey("origin.calls", Counter[str])
SEEN = web.AppKey("origin.seen", dict[str, list[CIMultiDictProxy[str]]])
FAILING = web.AppKey("origin.failing", list[bool])


async def resource(request: web.Request) -> web.StreamResponse:
    app = request.app
    name = request.match_info["name"]
    app[CALLS][name] += 1
    call = app[CALLS][name]
    app[SEEN].setdefault(name, []).append(request.headers)
    query = request.query
    delay = float(query.get("delay", 0))
    if delay:
        await asyncio.sleep(delay)
    if app[FAILING][0]:
        return web.Response(status=503, text="down")
    headers: CIMultiDict[str] = CIMultiDict()
    if "cc" in query:
        headers["Cache-Control"] = query["cc"]
    if "expires" in query:
        headers["Expires"] = formatdate(time.time() + float(query["expires"]), usegmt=True)
    if "lm" in query:
        headers["Last-Modified"] = formatdate(time.time() - float(query["lm"]), usegmt=True)
    if "vary" in query:
        headers["Vary"] = query["vary"]
    if "age" in query:
        headers["Age"] = query["age"]
    if "etag" in query:
        headers["ETag"] = f'"{query["etag"]}"'
        if request.headers.get("If-None-Match") == headers["ETag"]:
            return web.Response(status=304, headers=headers)
    language = request.headers.get("Accept-Language", "-")
    body = f"{name} call {call} lang {language}\n".encode() + b"x" * int(query.get("size", 0))
    status = int(query.get("status", 200))
    if "stream" in query:
        response = web.StreamResponse(status=status, headers=headers)
        response.content_type = "text/plain"
        await response.prepare(request)
        for start in range(0, len(body), 65536):
            await response.write(body[start : start + 65536])
        await response.write_eof()
        return response
    response = web.Response(status=status, body=body, headers=headers, content_type="text/plain")
    if "cookie" in query:
        response.set_cookie("session", query["cookie"])
    return response


async def change(request: web.Request) -> web.Response:
    request.app[CALLS]["post:" + request.match_info["name"]] += 1
    return web.Response(text="changed")


def origin_app() -> web.Application:
    app = web.Application()
    app[CALLS] = Counter()
    app[SEEN] = {}
    app[FAILING] = [False]
    app.router.add_get("/r/{name}", resource)
    app.router.add_post("/r/{name}", change)
    return app
