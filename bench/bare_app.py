"""The baseline: a bare aiohttp app answering the same JSON as ``GET /health/live``.

It answers the way a plain aiohttp app does, with ``web.json_response`` encoding the document
on every request, as the gateway's handler does too; it runs as the gateway is run by the
benchmark: one process. It writes no access log: aiohttp's is off until logging is configured,
as in most bare apps. ``--loop uvloop`` runs it on uvloop, which the gateway takes by default,
so the gateway can be compared with a bare app on the same loop too.
"""

import argparse

from aiohttp import web


async def live(request: web.Request) -> web.Response:
    return web.json_response(
        {"status": "pass", "version": "0.1.0"}, content_type="application/health+json"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args()
    app = web.Application()
    app.router.add_get("/health/live", live)
    loop = None
    if args.loop == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, loop=loop)


if __name__ == "__main__":
    main()
