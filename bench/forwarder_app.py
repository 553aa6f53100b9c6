"""The proxy benchmark's baseline: the least an aiohttp reverse proxy can be.

One ``ClientSession`` for the process, every path forwarded to one upstream with the
request's method and headers, the answer's status, content type and body sent back. No
streaming, no field rules, no timeouts, no retries: what the gateway's proxy plugin is
measured against (bench/proxy.py).
"""

import argparse

import aiohttp
from aiohttp import web

SESSION = web.AppKey("session", aiohttp.ClientSession)
UPSTREAM = web.AppKey("upstream", str)


async def forward(request: web.Request) -> web.Response:
    upstream = request.app[UPSTREAM]
    async with request.app[SESSION].request(
        request.method,
        upstream + request.path_qs,
        headers=request.headers,  # as the docstring says (until 2026-12-06 it sent none)
        data=await request.read(),
    ) as response:
        body = await response.read()
        return web.Response(body=body, status=response.status, content_type=response.content_type)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    app = web.Application()
    app[UPSTREAM] = args.upstream

    async def session(app: web.Application):  # type: ignore[no-untyped-def]
        app[SESSION] = aiohttp.ClientSession()
        yield
        await app[SESSION].close()

    app.cleanup_ctx.append(session)
    app.router.add_route("*", "/{tail:.*}", forward)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
