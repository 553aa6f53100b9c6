"""The baseline: a bare aiohttp app answering the same JSON as ``GET /health/live``.

It answers the way a plain aiohttp app does, with ``web.json_response`` encoding the document
on every request, as the gateway's handler does too; it runs as the gateway is run by the
benchmark: one process. It writes no access log: aiohttp's is off until logging is configured,
as in most bare apps. ``--loop uvloop`` runs it on uvloop, which the gateway takes by default,
so the gateway can be compared with a bare app on the same loop too.

``--work-us N`` adds N microseconds of busy work to every request: the calibration row of
bench/run.py, which shows what this machine charges for a few microseconds more per request
(on a linear machine, N; see bench/README.md, "Is this machine linear?").
"""

import argparse
import time

from aiohttp import web

WORK = {"seconds": 0.0}


async def live(request: web.Request) -> web.Response:
    if WORK["seconds"]:
        end = time.perf_counter() + WORK["seconds"]
        while time.perf_counter() < end:
            pass
    return web.json_response(
        {"status": "pass", "version": "0.1.0"}, content_type="application/health+json"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--work-us", type=float, default=0.0)
    args = parser.parse_args()
    WORK["seconds"] = args.work_us / 1e6
    app = web.Application()
    app.router.add_get("/health/live", live)
    loop = None
    if args.loop == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, loop=loop)


if __name__ == "__main__":
    main()
