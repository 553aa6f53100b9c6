"""The baseline: a bare aiohttp app answering the same JSON as ``GET /health/live``.

It answers the way a plain aiohttp app does, with ``web.json_response`` encoding the document
on every request, as the gateway's handler does too; it runs as the gateway is run by the
benchmark: one process, no access log written.
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
    args = parser.parse_args()
    app = web.Application()
    app.router.add_get("/health/live", live)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
