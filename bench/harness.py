"""What every timed bench shares: servers started pinned to one core and stopped with a scratch
folder, wrk pinned to the other, a server's CPU time from ``/proc/PID/stat``, alternating
rounds and their medians, nginx (Debian's, unpacked) before an upstream, and the results files.

bench/run.py, bench/proxy.py, bench/cache.py and bench/compress.py measure with it; bench/
README.md ("Method") says why it measures this way.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SERVER_CORE = "0"
WRK_CORE = "1"
NGINX_CACHE = ROOT / "bench" / ".nginx"
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def arguments(description: str, connections: int = 64) -> argparse.ArgumentParser:
    """A parser with the options every alternating bench takes (``--rounds``, ``--duration``,
    ``--connections``), for the bench to add its own to."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=connections)
    return parser


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


def start(
    command: list[str],
    port: int,
    log: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    process = subprocess.Popen(
        command, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=cwd or ROOT, env=env
    )
    wait_listening(port, process)
    return process


def gateway_command(config: Path, port: int) -> list[str]:
    """``gateway serve`` with ``config`` on ``port``, as every bench runs it."""
    return [sys.executable, "-m", "gateway", "serve", "--config", str(config), "--port", str(port)]


def bare_app_command(port: int, loop: str = "asyncio", work_us: float = 0) -> list[str]:
    """bench/bare_app.py on ``port``: the baseline, and the upstream of the proxy benches;
    ``work_us`` microseconds of busy work added to each request (the calibration row)."""
    bare = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(port)]
    if loop != "asyncio":
        bare += ["--loop", loop]
    return [*bare, "--work-us", str(work_us)] if work_us else bare


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


def serve_pinned(
    processes: list[subprocess.Popen],
    command: list[str],
    port: int,
    log: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """``command`` started on the server core and kept in ``processes`` (stopped with the
    scratch folder) once ``port`` accepts connections; its pid, which is the server's own
    (taskset execs the command)."""
    processes.append(start(pinned(SERVER_CORE, *command), port, log, cwd, env))
    return processes[-1].pid


def wrk(
    url: str,
    duration: int,
    connections: int,
    threads: int = 1,
    core: str | None = WRK_CORE,
    headers: tuple[str, ...] = (),
) -> float:
    """Requests/second wrk reached against ``url``."""
    return wrk_run(url, duration, connections, threads, core, headers)[0]


def wrk_run(
    url: str,
    duration: int,
    connections: int,
    threads: int = 1,
    core: str | None = WRK_CORE,
    headers: tuple[str, ...] = (),
) -> tuple[float, int]:
    """Requests/second wrk reached against ``url``, and how many requests it completed."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s"]
    command += [arg for header in headers for arg in ("-H", header)]
    command.append(url)
    out = subprocess.run(
        pinned(core, *command) if core is not None else command,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url} answered {errors.group(1)} errors under load:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rate, int(re.search(r"(\d+) requests in", out).group(1))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its children (nginx's master and worker; a server without
    children: its own)."""
    total = cpu_seconds(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            total += cpu_seconds(int(child))
    return total


def measured(
    url: str, pid: int, duration: int, connections: int, headers: tuple[str, ...] = ()
) -> tuple[float, float]:
    """One wrk run against ``url``: the requests/second it reached, and the CPU microseconds
    per request of the server ``pid`` (with its children) over the run."""
    used = process_tree_cpu(pid)
    rate, count = wrk_run(url, duration, connections, headers=headers)
    return rate, (process_tree_cpu(pid) - used) / count * 1e6


def turned(items: list[T], round_index: int) -> list[T]:
    """``items`` in the order of round ``round_index`` (from 0): turned by one each round, so
    that none is always last."""
    shift = round_index % len(items)
    return items[shift:] + items[:shift]


@dataclass(frozen=True)
class Target:
    """What one alternating run measures: a URL, the server answering it, the headers sent."""

    url: str
    pid: int
    headers: tuple[str, ...] = ()


@dataclass
class Samples:
    """One target's figures, one per round: server CPU microseconds per request, requests/s."""

    cpu: list[float] = field(default_factory=list)
    rate: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """The medians (``cpu_us_per_request``, ``requests_per_second``) and every round's
        CPU figure (``cpu_runs``), as the results files hold them."""
        return {
            "cpu_us_per_request": statistics.median(self.cpu),
            "requests_per_second": statistics.median(self.rate),
            "cpu_runs": self.cpu,
        }


def alternate(
    targets: dict[K, Target],
    rounds: int,
    duration: int,
    connections: int,
    after_round: Callable[[int, dict[K, Samples]], None] | None = None,
) -> dict[K, Samples]:
    """Every target once a round, in an order turned by one each round (:func:`turned`);
    ``after_round`` is called with the round's number (from 1) and the samples so far."""
    samples = {key: Samples() for key in targets}
    for index in range(rounds):
        for key in turned(list(targets), index):
            target = targets[key]
            rate, cpu = measured(target.url, target.pid, duration, connections, target.headers)
            samples[key].rate.append(rate)
            samples[key].cpu.append(cpu)
        if after_round is not None:
            after_round(index + 1, samples)
    return samples


def print_cpu_rounds(round_no: int, samples: dict[str, Samples]) -> None:
    """A round's line: each target's CPU per request."""
    print(f"round {round_no}: " + ", ".join(f"{n} {s.cpu[-1]:.1f} us" for n, s in samples.items()))


def print_cpu_table(title: str, width: int, summary: dict[str, dict[str, object]]) -> None:
    """The medians of :meth:`Samples.summary`, a row per target."""
    print(f"\n{title:<{width}} {'CPU us/req':>10} {'req/s':>8}")
    for name, row in summary.items():
        cpu, rate = row["cpu_us_per_request"], row["requests_per_second"]
        print(f"{name:<{width}} {cpu:>10.1f} {rate:>8.0f}")


def write_latest(name: str, summary: dict) -> Path:
    """``bench/results/NAME``: the last run's rows (not committed: .gitignore)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return path


def request(method: str, url: str, body: dict | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.read()


def add_nginx_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nginx", help="an nginx binary (default: PATH, else Debian's)")
    parser.add_argument("--no-nginx", action="store_true")


def find_nginx(given: str | None) -> Path:
    """``given``, else nginx on PATH, else Debian's package downloaded into bench/.nginx and
    unpacked there (nothing installed or started system-wide)."""
    if given:
        return Path(given)
    on_path = shutil.which("nginx")
    if on_path:
        return Path(on_path)
    binary = NGINX_CACHE / "root" / "usr" / "sbin" / "nginx"
    if not binary.exists():
        NGINX_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["apt-get", "download", "nginx", "nginx-common"], cwd=NGINX_CACHE, check=True
        )
        for package in NGINX_CACHE.glob("*.deb"):
            subprocess.run(["dpkg", "-x", str(package), str(NGINX_CACHE / "root")], check=True)
    return binary


def nginx_proxy_config(
    workdir: Path,
    port: int,
    upstream: str,
    http: str = "",
    location: str = "",
    user: str = "",
) -> Path:
    """An nginx config in ``workdir/nginx`` (one worker, no access log) proxying ``/up/`` on
    ``port`` to ``upstream`` with keep-alive; ``http`` and ``location`` are lines added to
    those blocks, ``user`` a ``user`` directive."""
    folder = workdir / "nginx"
    folder.mkdir()
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = folder / "n.conf"
    config.write_text(
        textwrap.dedent(
            """
            daemon off;
            {user}
            worker_processes 1;
            pid {folder}/nginx.pid;
            error_log stderr;
            events {{ worker_connections 1024; }}
            http {{
            {temp}
                access_log off;
            {http}
                upstream backend {{ server {upstream}; keepalive 64; }}
                server {{
                    listen 127.0.0.1:{port};
                    location /up/ {{
                        proxy_pass http://backend/;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
            {location}
                    }}
                }}
            }}
            """
        ).format(
            folder=folder,
            temp=temp,
            http=textwrap.indent(http, "    "),
            upstream=upstream.removeprefix("http://"),
            port=port,
            location=textwrap.indent(location, " " * 12),
            user=user,
        )
    )
    return config


def serve_nginx(
    processes: list[subprocess.Popen], binary: Path, config: Path, port: int, log: Path
) -> int:
    """nginx with ``config`` (from :func:`nginx_proxy_config`) on the server core; its pid."""
    command = [str(binary), "-p", str(config.parent), "-c", str(config), "-e", "stderr"]
    return serve_pinned(processes, command, port, log)
