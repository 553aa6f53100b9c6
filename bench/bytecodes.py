"""Python bytecodes one request executes, by function: where a request's Python work goes.

Exact and repeatable, where a sampling profiler (py-spy) on Python 3.11 with uvloop often gets
suspended coroutines' stacks wrong: a gateway (the shipped configuration, or ``--config``)
serves under ``sys.settrace`` with opcode events, switched on by SIGUSR1 after a warm-up and
off by SIGUSR2, while this script sends ``--requests`` requests one after another on one
keep-alive connection. Only the event loop's thread is traced: work on other threads (the
notes SQLite reader) and in C (aiohttp's parser, orjson, SQLite) is not counted, and tracing
makes the server far slower, so read the counts, never the time.

    python bench/bytecodes.py /health/live
    python bench/bytecodes.py "/v1/crypto/price?ids=bitcoin&vs_currencies=usd" --config plugins.toml
    python bench/bytecodes.py /health/live --bare     # bench/bare_app.py, the baseline
    python bench/bytecodes.py /up/health/live --config proxy.toml   # the proxy plugin
    python bench/bytecodes.py /health/live --forwarder http://127.0.0.1:PORT  # its baseline

The last two need an upstream serving ``/health/live`` (``python bench/bare_app.py --port
PORT``) and, for the proxy, a config with ``[plugins.proxy] prefix = "/up"`` before it.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def serve_traced(
    report: Path, gateway_args: list[str], bare: bool, forwarder: str | None = None
) -> None:
    """Run ``gateway serve`` here, counting opcodes per function between the two signals."""
    counts: collections.Counter[str] = collections.Counter()

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        code = frame.f_code
        where = code.co_filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        key = f"{where}:{code.co_name}"

        def per_opcode(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "opcode":
                counts[key] += 1
            return per_opcode

        return per_opcode

    def start(*_: Any) -> None:
        counts.clear()
        sys.settrace(tracer)

    def stop(*_: Any) -> None:
        sys.settrace(None)
        report.write_text("".join(f"{n} {key}\n" for key, n in counts.most_common()))

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    if bare:
        sys.path.insert(0, str(ROOT / "bench"))
        from bare_app import main as bare

        sys.argv = ["bare_app", *gateway_args]
        bare()
        return
    if forwarder is not None:  # bench/proxy.py's baseline: the least an aiohttp proxy is
        sys.path.insert(0, str(ROOT / "bench"))
        from forwarder_app import main as forward

        sys.argv = ["forwarder_app", "--upstream", forwarder, *gateway_args]
        forward()
        return
    from gateway.cli import main

    sys.argv = ["gateway", "serve", *gateway_args]
    main()


def send(port: int, target: str, count: int, headers: list[str]) -> None:
    """``count`` GET requests for ``target``, each answer read whole before the next."""
    extra = "".join(f"{header}\r\n" for header in headers)
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: wrk\r\n{extra}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for _ in range(count):
            sock.sendall(request.encode())
            data = b""
            while b"\r\n\r\n" not in data:
                data += sock.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                body += sock.recv(65536)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="path and query, e.g. /health/live")
    parser.add_argument("--config", help="plugins.toml to serve (default: the shipped one)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--bare", action="store_true", help="serve bench/bare_app.py instead")
    parser.add_argument(
        "--forwarder", metavar="UPSTREAM", help="serve bench/forwarder_app.py to UPSTREAM instead"
    )
    parser.add_argument(
        "--header", action="append", default=[], help='sent with each request: "X-API-Key: ..."'
    )
    parser.add_argument("--serve-traced", help=argparse.SUPPRESS)  # the server's own side
    args, rest = parser.parse_known_args()
    if args.serve_traced:
        # --config is this script's option too, so parse_known_args kept it from ``rest``.
        served = rest if args.config is None else ["--config", args.config, *rest]
        serve_traced(Path(args.serve_traced), served, args.bare, args.forwarder)
        return
    with tempfile.TemporaryDirectory(prefix="gateway-bytecodes-") as folder:
        report = Path(folder) / "counts.txt"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = Path(args.config).resolve() if args.config else ROOT / "plugins.toml"
        command = [sys.executable, __file__, args.target, "--serve-traced", str(report), *rest]
        if args.bare:
            command += ["--bare", "--port", str(port)]
        elif args.forwarder:
            command += ["--forwarder", args.forwarder, "--port", str(port)]
        else:
            command += ["--config", str(config), "--port", str(port)]
        server = subprocess.Popen(
            command, cwd=config.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            send(port, args.target, 50, args.header)  # warm-up: caches, first allocations
            os.kill(server.pid, signal.SIGUSR1)
            time.sleep(0.2)
            send(port, args.target, args.requests, args.header)
            os.kill(server.pid, signal.SIGUSR2)
            for _ in range(100):
                if report.exists() and report.stat().st_size:
                    break
                time.sleep(0.05)
        finally:
            server.terminate()
            server.wait(timeout=30)
        rows = [line.split(" ", 1) for line in report.read_text().splitlines()]
    total = sum(int(n) for n, _ in rows)
    print(f"{total / args.requests:.0f} bytecodes per request for {args.target}")
    for n, where in rows[: args.top]:
        print(f"{int(n) / args.requests:8.1f}  {where}")


if __name__ == "__main__":
    main()
