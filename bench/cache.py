"""A cache hit on a proxy instance: the gateway's proxy plugin with the cache plugin in front,
against a bare aiohttp app answering the same JSON, and nginx ``proxy_cache`` hits beside.

The origin is bench/bare_app.py (``/health/live``, a small JSON document). The gateway
proxies it at ``/up`` with the cache plugin (memory store, ``ttl = 3600`` for the scope: the
origin sends no Cache-Control) so every measured request is a hit that never reaches the
origin; nginx caches it with ``proxy_cache_valid 200 1h``. The baseline is a second bare
aiohttp process (on uvloop, as the gateway is) answering the request itself: what a hit
competes with. Each server is pinned to the server core, wrk runs on the other; every round
measures each once, in an order turned by one each round, and the figure is each server's own
CPU time per request (``/proc/PID/stat``), medians over rounds (bench/harness.py, as
bench/run.py and bench/proxy.py measure). The goal (issue 33): the gateway's hit at least 0.80
of bare aiohttp's efficiency (bare CPU per request over the gateway's).

    python bench/cache.py                      # 5 rounds of 5 s
    python bench/cache.py --rounds 1 --duration 2 --no-nginx   # a smoke run

nginx is found as for bench/proxy.py (PATH, else Debian's package unpacked into
bench/.nginx); ``--no-nginx`` skips it.
"""

from __future__ import annotations

import os
import statistics
import textwrap
import urllib.error
import urllib.request

from harness import (
    Target,
    add_nginx_arguments,
    alternate,
    arguments,
    bare_app_command,
    cpu_seconds,
    find_nginx,
    free_port,
    gateway_command,
    nginx_proxy_config,
    print_cpu_rounds,
    print_cpu_table,
    scratch,
    serve_nginx,
    serve_pinned,
    write_latest,
    wrk_run,
)

PATH = "/health/live"
GOAL = 0.80
GATEWAY, BARE, NGINX = "gateway-cache-hit", "bare-aiohttp", "nginx-proxy_cache-hit"
# The same gateway process answering the health plugin's own /health/live: its floor for any
# route, so the cache's share of a hit's cost can be told from the gateway's.
OWN_ROUTE = "gateway-own-route"


def cache_status(url: str, field: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers.get(field, "")


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    add_nginx_arguments(parser)
    args = parser.parse_args()

    with scratch() as (workdir, processes):
        origin_port = free_port()
        origin = bare_app_command(origin_port, "uvloop")
        origin_pid = serve_pinned(processes, origin, origin_port, workdir / "up.log")
        upstream = f"http://127.0.0.1:{origin_port}"
        targets: dict[str, Target] = {}

        port = free_port()
        pid = serve_pinned(processes, bare_app_command(port, "uvloop"), port, workdir / "bare.log")
        targets[BARE] = Target(f"http://127.0.0.1:{port}{PATH}", pid)

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
        gateway = gateway_command(config, port)
        pid = serve_pinned(processes, gateway, port, workdir / "gw.log", workdir)
        targets[GATEWAY] = Target(f"http://127.0.0.1:{port}/up{PATH}", pid)
        targets[OWN_ROUTE] = Target(f"http://127.0.0.1:{port}{PATH}", pid)

        if not args.no_nginx:
            binary = find_nginx(args.nginx)
            port = free_port()
            conf = nginx_proxy_config(
                workdir,
                port,
                upstream,
                http=f"proxy_cache_path {workdir / 'nginx' / 'cache'} keys_zone=hits:10m;",
                location=(
                    "proxy_cache hits;\nproxy_cache_valid 200 1h;\n"
                    "add_header X-Cache-Status $upstream_cache_status;"
                ),
                # As root, nginx's worker would be "nobody", who cannot write the cache in a
                # private scratch folder.
                user="user root;" if os.geteuid() == 0 else "",
            )
            pid = serve_nginx(processes, binary, conf, port, workdir / "nginx.log")
            targets[NGINX] = Target(f"http://127.0.0.1:{port}/up{PATH}", pid)

        for name, target in targets.items():  # one request each (the caches fill), then warm-up
            try:
                urllib.request.urlopen(target.url, timeout=10).read()
            except urllib.error.HTTPError as exc:
                body = exc.read()[:300]
                raise SystemExit(f"{name}: {target.url} answered {exc.code}: {body!r}") from exc
            wrk_run(target.url, 1, args.connections)
        # Every measured gateway request must be a hit, or this measures the proxy instead.
        hit = cache_status(targets[GATEWAY].url, "Cache-Status")
        if not hit.startswith("gateway; hit"):
            raise SystemExit(f"the gateway's answer is no cache hit: Cache-Status {hit!r}")
        if NGINX in targets and cache_status(targets[NGINX].url, "X-Cache-Status") != "HIT":
            raise SystemExit("nginx's answer is no cache hit")
        origin_used = cpu_seconds(origin_pid)
        samples = alternate(
            targets, args.rounds, args.duration, args.connections, after_round=print_cpu_rounds
        )
        origin_cpu = cpu_seconds(origin_pid) - origin_used

    cpu = {name: s.cpu for name, s in samples.items()}
    efficiency = [b / g for b, g in zip(cpu[BARE], cpu[GATEWAY], strict=True)]
    summary = {name: s.summary() for name, s in samples.items()}
    summary[GATEWAY]["efficiency_vs_bare"] = statistics.median(efficiency)
    summary[OWN_ROUTE]["efficiency_vs_bare"] = statistics.median(
        [b / g for b, g in zip(cpu[BARE], cpu[OWN_ROUTE], strict=True)]
    )
    summary[GATEWAY]["goal"] = GOAL
    summary[GATEWAY]["origin_cpu_seconds_while_measured"] = origin_cpu
    print_cpu_table("server", 24, summary)
    achieved = statistics.median(efficiency)
    verdict = "ok" if achieved >= GOAL else "BELOW"
    print(f"gateway cache hit: {achieved:.2f} of bare aiohttp's (goal >= {GOAL}) {verdict}")
    own = summary[OWN_ROUTE]["efficiency_vs_bare"]
    print(f"the same gateway's own /health/live: {own:.2f} of bare aiohttp's (for scale)")
    print(f"origin CPU while measured: {origin_cpu:.2f} s (hits never reach it)")
    write_latest("cache-latest.json", summary)


if __name__ == "__main__":
    main()
