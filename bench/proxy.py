"""A proxied ``GET`` of a small answer: the gateway's proxy plugin against a minimal aiohttp
forwarder and nginx ``proxy_pass``, all three before the same upstream, in one alternating run.

The upstream is bench/bare_app.py (``/health/live``, a small JSON document). Each proxy is a
process of its own pinned to the server core, like the upstream; wrk runs on the other core.
Every round measures each proxy once, in an order turned by one each round, and the figure is
each proxy's own CPU time per request (``/proc/PID/stat``; nginx's master and workers summed),
which is steadier on these machines than requests per second. Reported: medians over rounds,
and the gateway's efficiency as the forwarder's CPU per request over the gateway's (issue 32's
goal: at least 0.85), nginx's beside it.

    python bench/proxy.py                        # 5 rounds of 5 s
    python bench/proxy.py --rounds 3 --duration 3 --nginx /path/to/usr/sbin/nginx

nginx: Debian's, without installing a service. Without ``--nginx`` (or ``nginx`` on PATH)
the bench runs ``apt-get download nginx nginx-common`` into bench/.nginx and unpacks it there
with ``dpkg -x`` (nothing is installed or started system-wide); ``--no-nginx`` skips it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

from run import ROOT, SERVER_CORE, cpu_seconds, free_port, pinned, scratch, start, wrk_run

PATH = "/health/live"
GOAL = 0.85
GATEWAY, FORWARDER, NGINX = "gateway-proxy", "aiohttp-forwarder", "nginx-proxy_pass"
NGINX_CACHE = ROOT / "bench" / ".nginx"


def find_nginx(given: str | None) -> Path:
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


def nginx_config(workdir: Path, port: int, upstream: str) -> Path:
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
            worker_processes 1;
            pid {folder}/nginx.pid;
            error_log stderr;
            events {{ worker_connections 1024; }}
            http {{
            {temp}
                access_log off;
                upstream backend {{ server {upstream}; keepalive 64; }}
                server {{
                    listen 127.0.0.1:{port};
                    location /up/ {{
                        proxy_pass http://backend/;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    }}
                }}
            }}
            """
        ).format(folder=folder, temp=temp, upstream=upstream.removeprefix("http://"), port=port)
    )
    return config


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its children (nginx's master and worker)."""
    total = cpu_seconds(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            total += cpu_seconds(int(child))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--nginx", help="an nginx binary (default: PATH, else Debian's)")
    parser.add_argument("--no-nginx", action="store_true")
    args = parser.parse_args()

    with scratch() as (workdir, processes):
        upstream_port = free_port()
        bare = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(upstream_port)]
        processes.append(start(pinned(SERVER_CORE, *bare), upstream_port, workdir / "up.log"))
        upstream = f"http://127.0.0.1:{upstream_port}"
        targets: dict[str, str] = {}
        pids: dict[str, int] = {}

        port = free_port()
        forwarder = [sys.executable, str(ROOT / "bench" / "forwarder_app.py")]
        forwarder += ["--port", str(port), "--upstream", upstream]
        processes.append(start(pinned(SERVER_CORE, *forwarder), port, workdir / "fw.log"))
        targets[FORWARDER] = f"http://127.0.0.1:{port}{PATH}"
        pids[FORWARDER] = processes[-1].pid

        config = workdir / "plugins.toml"
        config.write_text(f'[plugins.proxy]\nprefix = "/up"\nupstreams = ["{upstream}"]\n')
        port = free_port()
        gateway = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
        gateway += ["--port", str(port)]
        processes.append(start(pinned(SERVER_CORE, *gateway), port, workdir / "gw.log", workdir))
        targets[GATEWAY] = f"http://127.0.0.1:{port}/up{PATH}"
        pids[GATEWAY] = processes[-1].pid

        if not args.no_nginx:
            binary = find_nginx(args.nginx)
            port = free_port()
            conf = nginx_config(workdir, port, upstream)
            nginx = [str(binary), "-p", str(conf.parent), "-c", str(conf), "-e", "stderr"]
            processes.append(start(pinned(SERVER_CORE, *nginx), port, workdir / "nginx.log"))
            targets[NGINX] = f"http://127.0.0.1:{port}/up{PATH}"
            pids[NGINX] = processes[-1].pid

        for url in targets.values():  # warm-up, and a check that each one proxies
            wrk_run(url, 1, args.connections)
        names = list(targets)
        cpu: dict[str, list[float]] = {name: [] for name in names}
        rate: dict[str, list[float]] = {name: [] for name in names}
        for round_no in range(args.rounds):
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                used = process_tree_cpu(pids[name])
                per_second, count = wrk_run(targets[name], args.duration, args.connections)
                cpu[name].append((process_tree_cpu(pids[name]) - used) / count * 1e6)
                rate[name].append(per_second)
            print(f"round {round_no + 1}: " + ", ".join(f"{n} {cpu[n][-1]:.1f} us" for n in names))

    efficiency = [f / g for f, g in zip(cpu[FORWARDER], cpu[GATEWAY], strict=True)]
    summary = {
        name: {
            "cpu_us_per_request": statistics.median(cpu[name]),
            "requests_per_second": statistics.median(rate[name]),
            "cpu_runs": cpu[name],
        }
        for name in names
    }
    summary[GATEWAY]["efficiency_vs_forwarder"] = statistics.median(efficiency)
    summary[GATEWAY]["goal"] = GOAL
    print(f"\n{'proxy':<20} {'CPU us/req':>10} {'req/s':>8}")
    for name in names:
        print(
            f"{name:<20} {summary[name]['cpu_us_per_request']:>10.1f} "
            f"{summary[name]['requests_per_second']:>8.0f}"
        )
    achieved = summary[GATEWAY]["efficiency_vs_forwarder"]
    verdict = "ok" if achieved >= GOAL else "BELOW"
    print(f"gateway efficiency: {achieved:.2f} of the forwarder's (goal >= {GOAL}) {verdict}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "proxy-latest.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
