"""A trace collector for the tracing scenarios of bench/run.py: accepts OTLP/HTTP exports
(POST /v1/traces) and answers 200 without decoding them, so that what is measured is the
gateway's side of tracing, not a collector's.

    python bench/collector.py --port 4318
"""

from __future__ import annotations

import argparse

from aiohttp import web

# An empty ExportTraceServiceResponse: no bytes.
EMPTY = b""


async def accept(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=EMPTY, content_type="application/x-protobuf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_post("/v1/traces", accept)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
