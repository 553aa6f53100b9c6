"""A cache hit on a proxy instance: the gateway's proxy plugin with the cache plugin in front,
against a bare aiohttp app answering the same JSON, and nginx ``proxy_cache`` hits beside.

The origin is bench/bare_app.py (``/health/live``, a small JSON document). The gateway
proxies it at ``/up`` with the cache plugin (memory store, ``ttl = 3600`` for the scope: the
origin sends no Cache-Control) so every measured request is a hit that never reaches the
origin; nginx caches it with ``proxy_cache_valid 200 1h``. The baseline is a second bare
aiohttp process (on uvloop, as the gateway is) answering the request itself: what a hit
competes with. Each server is pinned to the server core, wrk runs on the other; every round
measures each once, in an order turned by one each round, and the figure is each server's own
CPU time per request (``/proc/PID/stat``), medians over rounds (the method of bench/run.py and
bench/proxy.py). The goal (issue 33): the gateway's hit at least 0.80 of bare aiohttp's
efficiency (bare CPU per request over the gateway's).

    python bench/cache.py                      # 5 rounds of 5 s
    python bench/cache.py --rounds 1 --duration 2 --no-nginx   # a smoke run

nginx is found as bench/proxy.py finds it (PATH, else Debian's package unpacked into
bench/.nginx); ``--no-nginx`` skips it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

from proxy import find_nginx, process_tree_cpu
from run import ROOT, SERVER_CORE, cpu_seconds, free_port, pinned, scratch, start, wrk_run

PATH = "/health/live"
GOAL = 0.80
GATEWAY, BARE, NGINX = "gateway-cache-hit", "bare-aiohttp", "nginx-proxy_cache-hit"
# The same gateway process answering the health plugin's own /health/live: its floor for any
# route, so the cache's share of a hit's cost can be told from the gateway's.
OWN_ROUTE = "gateway-own-route"


def nginx_cache_config(workdir: Path, port: int, upstream: str) -> Path:
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
                proxy_cache_path {folder}/cache keys_zone=hits:10m;
                upstream backend {{ server {upstream}; keepalive 64; }}
                server {{
                    listen 127.0.0.1:{port};
                    location /up/ {{
                        proxy_pass http://backend/;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_cache hits;
                        proxy_cache_valid 200 1h;
                        add_header X-Cache-Status $upstream_cache_status;
                    }}
                }}
            }}
            """
        ).format(
            folder=folder,
            temp=temp,
            upstream=upstream.removeprefix("http://"),
            port=port,
            # As root, nginx's worker would be "nobody", who cannot write the cache in a
            # private scratch folder.
            user="user root;" if os.geteuid() == 0 else "",
        )
    )
    return config


def cache_status(url: str, field: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers.get(field, "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--nginx", help="an nginx binary (default: PATH, else Debian's)")
    parser.add_argument("--no-nginx", action="store_true")
    args = parser.parse_args()

    with scratch() as (workdir, processes):
        bare_app = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--loop", "uvloop"]
        origin_port = free_port()
        origin = [*bare_app, "--port", str(origin_port)]
        processes.append(start(pinned(SERVER_CORE, *origin), origin_port, workdir / "up.log"))
        upstream = f"http://127.0.0.1:{origin_port}"
        targets: dict[str, str] = {}
        pids: dict[str, int] = {}

        port = free_port()
        bare = [*bare_app, "--port", str(port)]
        processes.append(start(pinned(SERVER_CORE, *bare), port, workdir / "bare.log"))
        targets[BARE] = f"http://127.0.0.1:{port}{PATH}"
        pids[BARE] = processes[-1].pid

        config = workdir / "plugins.toml"
        config.write_text(
            textwrap.dedent(
                f"""
                [plugins.health]
                [plugins.proxy]
                prefix = "/up"
                upstreams = ["{upstream}"]
                [plugins.cache]
                apply_to = ["proxy"]
                [plugins.cache.overrides.proxy]
                ttl = 3600
                """
            )
        )
        port = free_port()
        gateway = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
        gateway += ["--port", str(port)]
        processes.append(start(pinned(SERVER_CORE, *gateway), port, workdir / "gw.log", workdir))
        targets[GATEWAY] = f"http://127.0.0.1:{port}/up{PATH}"
        pids[GATEWAY] = processes[-1].pid
        targets[OWN_ROUTE] = f"http://127.0.0.1:{port}{PATH}"
        pids[OWN_ROUTE] = processes[-1].pid

        if not args.no_nginx:
            binary = find_nginx(args.nginx)
            port = free_port()
            conf = nginx_cache_config(workdir, port, upstream)
            nginx = [str(binary), "-p", str(conf.parent), "-c", str(conf), "-e", "stderr"]
            processes.append(start(pinned(SERVER_CORE, *nginx), port, workdir / "nginx.log"))
            targets[NGINX] = f"http://127.0.0.1:{port}/up{PATH}"
            pids[NGINX] = processes[-1].pid

        for name, url in targets.items():  # one request each (the caches fill), then warm-up
            try:
                urllib.request.urlopen(url, timeout=10).read()
            except urllib.error.HTTPError as exc:
                body = exc.read()[:300]
                raise SystemExit(f"{name}: {url} answered {exc.code}: {body!r}") from exc
            wrk_run(url, 1, args.connections)
        # Every measured gateway request must be a hit, or this measures the proxy instead.
        hit = cache_status(targets[GATEWAY], "Cache-Status")
        if not hit.startswith("gateway; hit"):
            raise SystemExit(f"the gateway's answer is no cache hit: Cache-Status {hit!r}")
        if NGINX in targets and cache_status(targets[NGINX], "X-Cache-Status") != "HIT":
            raise SystemExit("nginx's answer is no cache hit")
        origin_used = cpu_seconds(processes[0].pid)

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
        origin_cpu = cpu_seconds(processes[0].pid) - origin_used

    efficiency = [b / g for b, g in zip(cpu[BARE], cpu[GATEWAY], strict=True)]
    summary: dict[str, dict[str, object]] = {
        name: {
            "cpu_us_per_request": statistics.median(cpu[name]),
            "requests_per_second": statistics.median(rate[name]),
            "cpu_runs": cpu[name],
        }
        for name in names
    }
    summary[GATEWAY]["efficiency_vs_bare"] = statistics.median(efficiency)
    summary[OWN_ROUTE]["efficiency_vs_bare"] = statistics.median(
        [b / g for b, g in zip(cpu[BARE], cpu[OWN_ROUTE], strict=True)]
    )
    summary[GATEWAY]["goal"] = GOAL
    summary[GATEWAY]["origin_cpu_seconds_while_measured"] = origin_cpu
    print(f"\n{'server':<24} {'CPU us/req':>10} {'req/s':>8}")
    for name in names:
        print(
            f"{name:<24} {summary[name]['cpu_us_per_request']:>10.1f} "
            f"{summary[name]['requests_per_second']:>8.0f}"
        )
    achieved = statistics.median(efficiency)
    verdict = "ok" if achieved >= GOAL else "BELOW"
    print(f"gateway cache hit: {achieved:.2f} of bare aiohttp's (goal >= {GOAL}) {verdict}")
    own = summary[OWN_ROUTE]["efficiency_vs_bare"]
    print(f"the same gateway's own /health/live: {own:.2f} of bare aiohttp's (for scale)")
    print(f"origin CPU while measured: {origin_cpu:.2f} s (hits never reach it)")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "cache-latest.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
