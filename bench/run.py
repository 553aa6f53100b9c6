"""Requests/second of the gateway as a ratio of bare aiohttp's, measured in one run.

Servers are pinned to one core and wrk to the other (``taskset``); every round runs the bare
baseline and then each gateway scenario, so drift on this shared machine hits all of them
alike. Reported: the median requests/second of each scenario and its ratio to the bare median.

    python bench/run.py                     # every scenario, 5 rounds of 5 s
    python bench/run.py --rounds 3 --duration 3 --only health-live
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_CORE = "0"
WRK_CORE = "1"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    goal: float | None  # the ratio to bare aiohttp the issue asks for
    plugin: str | None = None  # scenarios of a plugin run only where it loads
    # True: against a second gateway with [gateway] metrics = true, to show what counting every
    # request for /metrics costs.
    metrics: bool = False


PRICE = "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"
SCENARIOS = [
    Scenario("health-live", "/health/live", 0.80),
    Scenario("health-live+metrics", "/health/live", None, metrics=True),
    Scenario("notes-one", "/notes/1", 0.35, "notes"),
    Scenario("notes-page-100", "/notes?limit=100", 0.10, "notes"),
    Scenario("crypto-price-hit", PRICE, 0.70, "crypto"),
    Scenario("crypto-price-hit+metrics", PRICE, None, "crypto", metrics=True),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited at start (code {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port} after {timeout}s")


def pinned(core: str, *command: str) -> list[str]:
    return ["taskset", "-c", core, *command]


def start(command: list[str], port: int, log: Path, cwd: Path | None = None) -> subprocess.Popen:
    process = subprocess.Popen(
        command, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=cwd or ROOT
    )
    wait_listening(port, process)
    return process


@contextlib.contextmanager
def scratch() -> Iterator[tuple[Path, list[subprocess.Popen]]]:
    """A temporary folder and a list of started servers, both gone on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        yield workdir, processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)


def wrk(
    url: str, duration: int, connections: int, threads: int = 1, core: str | None = WRK_CORE
) -> float:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", url]
    out = subprocess.run(
        pinned(core, *command) if core is not None else command,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url} answered {errors.group(1)} errors under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def plugin_loads(name: str) -> bool:
    probe = f"import importlib; importlib.import_module('gateway_plugins.{name}')"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


def request(method: str, url: str, body: dict | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.read()


def gateway_config(
    workdir: Path, scenarios: list[Scenario], upstream: str | None, metrics: bool
) -> Path:
    plugins = {s.plugin for s in scenarios}
    text = f"[gateway]\naccess_log = false\nmetrics = {str(metrics).lower()}\n\n[plugins.health]\n"
    if "notes" in plugins:
        text += '\n[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///bench-notes.db"\n'
    if "crypto" in plugins:
        text += f'\n[plugins.crypto]\nbase_url = "{upstream}"\nttl = 3600\n'
    folder = workdir / ("metrics" if metrics else "default")
    folder.mkdir()
    path = folder / "plugins.toml"
    path.write_text(text)
    return path


def prepare(base: str, scenarios: list[Scenario]) -> None:
    plugins = {s.plugin for s in scenarios}
    if "notes" in plugins:
        for i in range(150):
            note = {"title": f"note {i}", "description": "x" * 80, "created_by": "bench"}
            request("POST", f"{base}/notes", {**note, "priority": i % 5})
    if "crypto" in plugins:
        request("GET", base + next(s.path for s in scenarios if s.plugin == "crypto"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--only", help="comma-separated scenario names")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    wanted = set(args.only.split(",")) if args.only else None
    scenarios = [
        s
        for s in SCENARIOS
        if (wanted is None or s.name in wanted) and (s.plugin is None or plugin_loads(s.plugin))
    ]
    with scratch() as (workdir, processes):
        upstream = None
        if any(s.plugin == "crypto" for s in scenarios):
            fake_port = free_port()
            fake = [sys.executable, "-m", "tests.crypto.fake_coingecko", "--port", str(fake_port)]
            processes.append(start(pinned(SERVER_CORE, *fake), fake_port, workdir / "fake.log"))
            upstream = f"http://127.0.0.1:{fake_port}"
        bare_port = free_port()
        bare = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(bare_port)]
        processes.append(start(pinned(SERVER_CORE, *bare), bare_port, workdir / "bare.log"))
        targets = {"bare-aiohttp": f"http://127.0.0.1:{bare_port}/health/live"}
        for metrics in (True, False):
            served = [s for s in scenarios if s.metrics == metrics]
            if not served:
                continue
            config = gateway_config(workdir, served, upstream, metrics)
            port = free_port()
            gateway = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
            gateway += ["--port", str(port)]
            log = config.parent / "gateway.log"
            processes.append(start(pinned(SERVER_CORE, *gateway), port, log, config.parent))
            base = f"http://127.0.0.1:{port}"
            prepare(base, served)
            targets |= {s.name: base + s.path for s in served}
        for url in targets.values():  # warm-up
            wrk(url, 1, args.connections)
        results: dict[str, list[float]] = {name: [] for name in targets}
        for round_no in range(1, args.rounds + 1):
            for name, url in targets.items():
                results[name].append(wrk(url, args.duration, args.connections))
            print(f"round {round_no}: " + ", ".join(f"{n} {v[-1]:.0f}" for n, v in results.items()))

    bare_median = statistics.median(results["bare-aiohttp"])
    print(f"\nwrk -t1 -c{args.connections} -d{args.duration}s, {args.rounds} alternating rounds")
    print(f"{'scenario':<28} {'median req/s':>12} {'ratio':>6} {'goal':>6}")
    print(f"{'bare-aiohttp':<28} {bare_median:>12.0f} {1:>6.2f}")
    summary = {"bare-aiohttp": {"median": bare_median, "runs": results["bare-aiohttp"]}}
    for s in scenarios:
        median = statistics.median(results[s.name])
        ratio = median / bare_median
        if s.goal is None:
            print(f"{s.name:<28} {median:>12.0f} {ratio:>6.2f}")
        else:
            verdict = "ok" if ratio >= s.goal else "BELOW"
            print(f"{s.name:<28} {median:>12.0f} {ratio:>6.2f} {s.goal:>6.2f} {verdict}")
        summary[s.name] = {
            "median": median,
            "ratio": ratio,
            "goal": s.goal,
            "runs": results[s.name],
        }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
