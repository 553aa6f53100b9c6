"""What compression costs the server per request, and per KB: a JSON answer of 1, 10 and
100 KB served by the same gateway with and without the compress plugin, for each coding.

Method as bench/run.py's (bench/harness.py): the server pinned to one core, wrk to the other,
the server's CPU time (``/proc/PID/stat``) read before and after each run and divided by the
requests wrk completed. Each round runs every case once, in an order turned by one each
round; the medians over rounds are reported. Two gateways run side by side: one without the
plugin (the baseline) and one with ``[plugins.compress]`` at its default levels; the answer
is the same handler's (a folder plugin, ``/bench/json?kb=N``: realistic JSON, a list of
records, not a run of one byte).

    python bench/compress.py                       # 5 rounds of 5 s
    python bench/compress.py --rounds 1 --duration 1    # a smoke run
"""

from __future__ import annotations

import statistics
from pathlib import Path

from harness import (
    Target,
    alternate,
    arguments,
    free_port,
    gateway_command,
    scratch,
    serve_pinned,
    wrk_run,
)

SIZES = (1, 10, 100)
CODINGS = ("identity", "gzip", "br", "zstd")

PLUGIN = """
import json
from functools import cache

from aiohttp import web
from gateway import PluginInfo, PluginSettings, hookimpl


class Settings(PluginSettings):
    pass


@cache
def document(kb: int) -> bytes:
    records, size = [], 2
    while size < kb * 1024:
        i = len(records)
        records.append({"id": i, "name": f"customer {i}", "email": f"c{i}@example.com",
                        "balance": round(i * 13.37 % 1000, 2), "active": i % 3 != 0,
                        "tags": ["retail", "eu"] if i % 2 else ["wholesale"]})
        size += len(json.dumps(records[-1])) + 2
    return json.dumps(records).encode()


async def view(request):
    return web.Response(body=document(int(request.query["kb"])),
                        content_type="application/json")


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="bench", default_prefix="/bench", settings=Settings)


@hookimpl
def gateway_create_app(settings):
    app = web.Application()
    app.router.add_get("/json", view)
    return app
"""


def config(folder: Path, compress: bool) -> Path:
    folder.mkdir()
    (folder / "plugins").mkdir()
    (folder / "plugins" / "bench.py").write_text(PLUGIN)
    text = '[gateway]\nplugin_dirs = ["./plugins"]\naccess_log = false\n\n[plugins.bench]\n'
    if compress:
        text += "\n[plugins.compress]\n"
    path = folder / "plugins.toml"
    path.write_text(text)
    return path


def main() -> None:
    args = arguments(__doc__.splitlines()[0], connections=16).parse_args()
    cases = [("off", kb, "identity") for kb in SIZES]
    cases += [("on", kb, coding) for kb in SIZES for coding in CODINGS]
    with scratch() as (workdir, processes):
        servers = {}
        for name in ("off", "on"):
            port = free_port()
            path = config(workdir / name, compress=name == "on")
            command = [*gateway_command(path, port), "--host", "127.0.0.1"]
            pid = serve_pinned(processes, command, port, workdir / f"{name}.log")
            servers[name] = (pid, f"http://127.0.0.1:{port}")
        targets = {
            (name, kb, coding): Target(
                f"{servers[name][1]}/bench/json?kb={kb}",
                servers[name][0],
                (f"Accept-Encoding: {coding}",),
            )
            for name, kb, coding in cases
        }
        for target in targets.values():  # warm: documents built, static paths taken once
            wrk_run(target.url, 1, 2, headers=target.headers)
        samples = alternate(targets, args.rounds, args.duration, args.connections)
    print(f"server CPU per request, median of {args.rounds} rounds of {args.duration} s")
    print(f"{'size':>6} {'compress':<9} {'coding':<9} {'us/req':>8} {'req/s':>8} {'us/KB':>7}")
    for kb in SIZES:
        off = statistics.median(samples[("off", kb, "identity")].cpu)
        for case in [("off", kb, "identity")] + [("on", kb, c) for c in CODINGS]:
            us = statistics.median(samples[case].cpu)
            extra = "" if case[0] == "off" else f"{(us - off) / kb:>7.1f}"
            rate = statistics.median(samples[case].rate)
            print(f"{kb:>4}KB {case[0]:<9} {case[2]:<9} {us:>8.1f} {rate:>8.0f} {extra}")
    print("us/KB: the CPU the plugin adds per KB of answer, against the same size without it")


if __name__ == "__main__":
    main()
