"""Scale-out measurements: two workers against one, and a worker's memory over many requests.

    python bench/scale.py workers [--rounds 5 --duration 5]
    python bench/scale.py memory [--requests 100000]

``workers`` runs the same wrk load (2 threads, 64 connections) against ``gateway serve
--workers 1`` and ``--workers 2`` in alternating rounds and prints the medians and their ratio.
Nothing is pinned here: the point is to use both cores, and wrk needs one of them too, so on
this two-core machine the ratio is far below 2.

``memory`` sends mixed requests (note reads and writes, crypto cache hits, health) from one
client in exact counts and reads the gateway process's resident memory (VmRSS) after the first
1,000 and after the total; the goal is less than 10% growth between the two.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from harness import (  # bench/ is on sys.path when run as a script
    free_port,
    request,
    scratch,
    start,
    wrk,
)


def write_config(workdir: Path, upstream: str) -> Path:
    path = workdir / "plugins.toml"
    path.write_text(
        "[gateway]\naccess_log = false\n\n[plugins.health]\n\n"
        '[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///bench-notes.db"\n\n'
        f'[plugins.crypto]\nbase_url = "{upstream}"\nttl = 3600\n'
    )
    return path


def start_upstream(workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "tests.crypto.fake_coingecko", "--port", str(port)]
    return start(command, port, workdir / "fake.log"), f"http://127.0.0.1:{port}"


def serve(config: Path, workers: int, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
    command += ["--port", str(port), "--workers", str(workers)]
    process = start(command, port, workdir / f"gateway-{workers}.log", workdir)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # every worker up: readiness answers on the port
        try:
            request("GET", f"{base}/health/ready")
            break
        except OSError:
            time.sleep(0.1)
    return process, base


def seed(base: str) -> None:
    for i in range(100):
        request("POST", f"{base}/notes", {"title": f"note {i}", "priority": i % 5})
    request("GET", f"{base}/v1/crypto/price?ids=bitcoin&vs_currencies=usd")


def measure_workers(args: argparse.Namespace) -> None:
    with scratch() as (workdir, processes):
        upstream, upstream_url = start_upstream(workdir)
        processes.append(upstream)
        config = write_config(workdir, upstream_url)
        bases = {}
        for workers in (1, 2):
            process, base = serve(config, workers, workdir)
            processes.append(process)
            bases[workers] = base
        seed(bases[1])
        paths = {"health-live": "/health/live", "notes-one": "/notes/1"}
        results: dict[tuple[str, int], list[float]] = {}
        for round_no in range(1, args.rounds + 1):
            for (name, path), workers in itertools.product(paths.items(), (1, 2)):
                rate = wrk(bases[workers] + path, args.duration, 64, threads=2, core=None)
                results.setdefault((name, workers), []).append(rate)
            print(
                f"round {round_no}: "
                + ", ".join(f"{k[0]}x{k[1]} {v[-1]:.0f}" for k, v in results.items())
            )
    print(f"\nwrk -t2 -c64 -d{args.duration}s, unpinned, {args.rounds} alternating rounds")
    print(f"{'scenario':<14} {'1 worker':>10} {'2 workers':>10} {'ratio':>6}")
    for name in paths:
        one = statistics.median(results[(name, 1)])
        two = statistics.median(results[(name, 2)])
        print(f"{name:<14} {one:>10.0f} {two:>10.0f} {two / one:>6.2f}")


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def mixed_requests(base: str, count: int, concurrency: int = 32) -> None:
    """``count`` requests: a quarter each note reads, note writes, cache hits and health."""
    kinds = [
        ("GET", "/notes/{n}", None),
        ("POST", "/notes", {"title": "memory", "description": "x" * 100, "priority": 1}),
        ("GET", "/v1/crypto/price?ids=bitcoin&vs_currencies=usd", None),
        ("GET", "/health", None),
    ]
    counter = itertools.count()

    async def worker(session: aiohttp.ClientSession) -> None:
        while (n := next(counter)) < count:
            method, path, body = kinds[n % len(kinds)]
            url = base + path.format(n=n % 100 + 1)
            async with session.request(method, url, json=body) as response:
                await response.read()
                if response.status >= 400:
                    raise SystemExit(f"{method} {url} answered {response.status}")

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))


def measure_memory(args: argparse.Namespace) -> None:
    with scratch() as (workdir, processes):
        upstream, upstream_url = start_upstream(workdir)
        processes.append(upstream)
        config = write_config(workdir, upstream_url)
        gateway, base = serve(config, 1, workdir)
        processes.append(gateway)
        seed(base)
        asyncio.run(mixed_requests(base, 1_000))
        after_first = resident_kib(gateway.pid)
        started = time.monotonic()
        asyncio.run(mixed_requests(base, args.requests - 1_000))
        elapsed = time.monotonic() - started
        after_all = resident_kib(gateway.pid)
    growth = after_all / after_first - 1
    print(f"resident memory after 1,000 requests:    {after_first / 1024:8.1f} MiB")
    print(f"resident memory after {args.requests:,} requests: {after_all / 1024:8.1f} MiB")
    sent = args.requests - 1000
    print(f"growth: {growth:+.1%} (goal: under 10%); {sent:,} requests in {elapsed:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    workers = commands.add_parser("workers")
    workers.add_argument("--rounds", type=int, default=5)
    workers.add_argument("--duration", type=int, default=5)
    memory = commands.add_parser("memory")
    memory.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()
    if args.command == "workers":
        measure_workers(args)
    else:
        measure_memory(args)


if __name__ == "__main__":
    main()
