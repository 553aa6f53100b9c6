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

import statistics
import sys

from harness import (
    ROOT,
    Target,
    add_nginx_arguments,
    alternate,
    arguments,
    bare_app_command,
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
GOAL = 0.85
GATEWAY, FORWARDER, NGINX = "gateway-proxy", "aiohttp-forwarder", "nginx-proxy_pass"


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    add_nginx_arguments(parser)
    args = parser.parse_args()

    with scratch() as (workdir, processes):
        upstream_port = free_port()
        serve_pinned(processes, bare_app_command(upstream_port), upstream_port, workdir / "up.log")
        upstream = f"http://127.0.0.1:{upstream_port}"
        targets: dict[str, Target] = {}

        port = free_port()
        forwarder = [sys.executable, str(ROOT / "bench" / "forwarder_app.py")]
        forwarder += ["--port", str(port), "--upstream", upstream]
        pid = serve_pinned(processes, forwarder, port, workdir / "fw.log")
        targets[FORWARDER] = Target(f"http://127.0.0.1:{port}{PATH}", pid)

        config = workdir / "plugins.toml"
        config.write_text(f'[plugins.proxy]\nprefix = "/up"\nupstreams = ["{upstream}"]\n')
        port = free_port()
        gateway = gateway_command(config, port)
        pid = serve_pinned(processes, gateway, port, workdir / "gw.log", workdir)
        targets[GATEWAY] = Target(f"http://127.0.0.1:{port}/up{PATH}", pid)

        if not args.no_nginx:
            binary = find_nginx(args.nginx)
            port = free_port()
            conf = nginx_proxy_config(workdir, port, upstream)
            pid = serve_nginx(processes, binary, conf, port, workdir / "nginx.log")
            targets[NGINX] = Target(f"http://127.0.0.1:{port}/up{PATH}", pid)

        for target in targets.values():  # warm-up, and a check that each one proxies
            wrk_run(target.url, 1, args.connections)
        samples = alternate(
            targets, args.rounds, args.duration, args.connections, after_round=print_cpu_rounds
        )

    cpu = {name: s.cpu for name, s in samples.items()}
    efficiency = [f / g for f, g in zip(cpu[FORWARDER], cpu[GATEWAY], strict=True)]
    summary = {name: s.summary() for name, s in samples.items()}
    summary[GATEWAY]["efficiency_vs_forwarder"] = statistics.median(efficiency)
    summary[GATEWAY]["goal"] = GOAL
    print_cpu_table("proxy", 20, summary)
    achieved = statistics.median(efficiency)
    verdict = "ok" if achieved >= GOAL else "BELOW"
    print(f"gateway efficiency: {achieved:.2f} of the forwarder's (goal >= {GOAL}) {verdict}")
    write_latest("proxy-latest.json", summary)


if __name__ == "__main__":
    main()
