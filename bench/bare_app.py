"""The baseline: a bare aiohttp app answering the same JSON as ``GET /health/live``.

Run exactly as the gateway is run by the benchmark: one process, default access logging.
"""

import argparse

import orjson
from aiohttp import web

BODY = orjson.dumps({"status": "pass", "version": "0.1.0"})


async def live(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/health+json")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_get("/health/live", live)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
