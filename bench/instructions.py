"""Instructions per request of the gateway, as a ratio of bare aiohttp's, counted by callgrind.

``run.py`` measures time, which on a shared virtual machine moves by a third between two runs
of the same server a few seconds apart; the instructions a request costs do not move. Each
server of ``run.py``'s scenarios (the shipped configuration and its variants, and the bare
baselines) runs alone under ``valgrind --tool=callgrind``, with counting switched on after a
warm-up; wrk sends requests for a fixed time, and the instructions counted are divided by the
requests wrk completed. The edges of the counted window (requests in flight when counting
starts or stops) make the figure exact to about 1%.

Instructions are not time: memory the cache has lost costs time without instructions (see
bench/README.md, "Where the time goes"). Use this to compare one change with the last, and
``run.py`` for the figures the goals are about. ``--simulate`` adds callgrind's cache and
branch-predictor simulation, for what this machine cannot show: it has no hardware counters
(``perf stat -e cycles`` is not supported). Per request: first-level instruction and data
cache misses (I1mr, D1mr, D1mw) and mispredicted conditional and indirect
branches (Bcm, Bim), the latter mostly the interpreter's dispatch from one bytecode to the next.

    apt-get install valgrind
    python bench/instructions.py                          # every scenario, about 10 minutes
    python bench/instructions.py --only health-live,crypto-price-hit
    python bench/instructions.py --only crypto-price-hit --keep profiles/   # for callgrind_annotate
    python bench/instructions.py --only health-live,health-live+auth+ratelimit --simulate
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import run

CONNECTIONS = 8  # a few requests per event-loop turn, as under load, at valgrind's pace
# What --simulate reports per request, of callgrind's events (Ir is always reported).
SIMULATED = ("I1mr", "D1mr", "D1mw", "Bcm", "Bim")
WARM_UP = 3  # seconds of requests before counting starts: imports, caches, first allocations


def count(
    command: list[str],
    port: int,
    url: str,
    duration: int,
    out: Path,
    cwd: Path,
    keep: Path | None = None,
    simulate: bool = False,
    headers: tuple[str, ...] = (),
) -> dict[str, float]:
    """callgrind's events per request of the server ``command`` starts, for requests to
    ``url`` (``Ir``, instructions; with ``simulate``, the cache and branch events too); its
    profiles copied into ``keep`` when given."""
    profile = out.with_suffix(".callgrind")
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
    valgrind += [f"--callgrind-out-file={profile}"]
    if simulate:
        valgrind += ["--cache-sim=yes", "--branch-sim=yes"]
    server = subprocess.Popen(
        valgrind + command, stdout=out.open("wb"), stderr=subprocess.STDOUT, cwd=cwd
    )
    try:
        harness.wait_listening(port, server, timeout=180)
        harness.wrk_run(url, WARM_UP, CONNECTIONS, core=None, headers=headers)
        subprocess.run(
            ["callgrind_control", "-i", "on", str(server.pid)], check=True, capture_output=True
        )
        _, requests = harness.wrk_run(url, duration, CONNECTIONS, core=None, headers=headers)
        subprocess.run(
            ["callgrind_control", "-i", "off", str(server.pid)], check=True, capture_output=True
        )
        subprocess.run(
            ["callgrind_control", "-d", str(server.pid)], check=True, capture_output=True
        )
    finally:
        server.terminate()
        server.wait(timeout=120)
    counted: collections.Counter[str] = collections.Counter()
    for dump in profile.parent.glob(profile.name + "*"):
        text = dump.read_text(errors="replace")
        events = re.search(r"^events: (.+)$", text, re.MULTILINE)
        totals = re.search(r"^totals: (.+)$", text, re.MULTILINE)
        if events and totals:
            names, values = events.group(1).split(), map(int, totals.group(1).split())
            # callgrind leaves trailing zero counts out of the totals line
            counted.update(dict(zip(names, values, strict=False)))
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(dump, keep / dump.name)
    return {event: total / requests for event, total in counted.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds counted per server")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument(
        "--keep", type=Path, help="a folder to copy each server's callgrind profiles into"
    )
    parser.add_argument(
        "--simulate", action="store_true", help="also simulate caches and branch prediction"
    )
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control", "wrk"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed: apt-get install valgrind wrk")
    wanted = set(args.only.split(",")) if args.only else None
    if wanted is not None:
        wanted |= {s.against for s in run.SCENARIOS if s.name in wanted} - {run.BARE}
    scenarios = [
        s
        for s in run.SCENARIOS
        if (wanted is None or s.name in wanted) and (s.plugin is None or run.plugin_loads(s.plugin))
    ]
    results: dict[str, dict[str, float]] = {}
    with harness.scratch() as (workdir, processes):
        upstream = None
        if any(s.plugin == "crypto" for s in scenarios):
            fake_port = harness.free_port()
            fake = [sys.executable, "-m", "tests.crypto.fake_coingecko", "--port", str(fake_port)]
            processes.append(harness.start(fake, fake_port, workdir / "fake.log"))
            upstream = f"http://127.0.0.1:{fake_port}"
        run.start_collector(scenarios, workdir, processes)
        for name, loop in ((run.BARE, "asyncio"), (run.BARE_UVLOOP, "uvloop")):
            port = harness.free_port()
            bare = harness.bare_app_command(port)
            url = f"http://127.0.0.1:{port}/health/live"
            results[name] = count(
                [*bare, "--loop", loop],
                port,
                url,
                args.duration,
                workdir / name,
                harness.ROOT,
                args.keep,
                args.simulate,
            )
            print(f"{name}: {results[name]['Ir'] / 1000:.1f}k instructions per request", flush=True)
        for variant in run.VARIANTS.values():
            served = [s for s in scenarios if s.variant == variant.name]
            if not served:
                continue
            config = run.gateway_config(workdir, scenarios, upstream, variant)
            # Seeded by a plain server first: valgrind's pace would make seeding slow.
            port = harness.free_port()
            seeding = harness.start(
                harness.gateway_command(config, port),
                port,
                config.parent / "seed.log",
                config.parent,
            )
            try:
                run.prepare(f"http://127.0.0.1:{port}", served)
            finally:
                seeding.terminate()
                seeding.wait(timeout=60)
            for scenario in served:
                port = harness.free_port()
                url = f"http://127.0.0.1:{port}{scenario.path}"
                log = config.parent / scenario.name
                results[scenario.name] = count(
                    harness.gateway_command(config, port),
                    port,
                    url,
                    args.duration,
                    log,
                    config.parent,
                    args.keep,
                    args.simulate,
                    scenario.headers,
                )
                print(f"{scenario.name}: {results[scenario.name]['Ir'] / 1000:.1f}k", flush=True)

    simulated = SIMULATED if args.simulate else ()
    print(f"\ninstructions per request (callgrind), wrk -c{CONNECTIONS} -d{args.duration}s")
    head = f"{'scenario':<40} {'k instr/req':>11} {'bare/this':>9} {'uvloop/this':>11}"
    print(head + "".join(f" {event:>6}" for event in simulated))
    bare, bare_uvloop = results[run.BARE]["Ir"], results[run.BARE_UVLOOP]["Ir"]
    for name, events in results.items():
        ir = events["Ir"]
        line = f"{name:<40} {ir / 1000:>11.1f} {bare / ir:>9.2f} {bare_uvloop / ir:>11.2f}"
        print(line + "".join(f" {events.get(event, 0):>6.0f}" for event in simulated))


if __name__ == "__main__":
    main()
