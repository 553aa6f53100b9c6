"""The gateway's server CPU per request (and requests/second) as a ratio of bare aiohttp's.

Servers are pinned to one core and wrk to the other (``taskset``). Every round runs each server
once, in an order turned by one each round, with bare aiohttp measured again after every
``BARE_EVERY`` runs; each run is compared with the bare runs either side of it, and the ratios
reported are medians over the rounds (see :func:`measure`). Reported: the median
requests/second of each scenario, its ratio to bare aiohttp's (on asyncio's loop and on
uvloop), the server's CPU time per request and the ratio that gives; a scenario's goal is
judged on the CPU ratio (issue 31).

    python bench/run.py                     # every scenario, 5 rounds of 5 s
    python bench/run.py --rounds 3 --duration 3 --only health-live
    python bench/run.py --public-api        # every aiohttp seam on its public path
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    RESULTS,
    ROOT,
    arguments,
    bare_app_command,
    free_port,
    gateway_command,
    measured,
    request,
    scratch,
    serve_pinned,
    start,
    turned,
    write_latest,
    wrk,
)

BARE = "bare-aiohttp"  # asyncio's own loop, no access log: what the goals are measured against
BARE_UVLOOP = "bare-aiohttp-uvloop"  # so that the loop alone does not flatter the ratio
# Bare aiohttp with WORK_US of busy work added per request: on a linear machine its CPU per
# request is bare's plus WORK_US. One that charges more (a VM that halts an idle vCPU, so the
# server pays to wake wrk's: bench/README.md) lowers every slower server's ratio with it.
BARE_WORK = "bare-aiohttp+5us"
WORK_US = 5.0
BARE_EVERY = 2  # bare aiohttp is measured again after every this many other runs


@dataclass(frozen=True)
class Variant:
    """A gateway server of its own: the shipped configuration plus ``settings``."""

    name: str
    settings: str  # lines added to [gateway]
    tables: str = ""  # plugin tables added to the config
    files: tuple[tuple[str, bytes], ...] = ()  # written beside the config


# auth and ratelimit (memory storage) as an operator enables them: the shipped rules, one key,
# a limit no benchmark reaches, so every request is checked, counted and admitted. Each alone
# too: which share of the edge's cost is whose.
EDGE_AUTH = '[plugins.auth.keys.bench]\nhash = "sha256:' + "0" * 64 + '"\nscopes = ["write"]\n'
# exempt = []: /health is outside rate limiting by default (issue 34); the bench counts it.
EDGE_RATELIMIT = '[plugins.ratelimit]\nlimits = ["1000000000/minute"]\nexempt = []\n'
EDGE = EDGE_AUTH + EDGE_RATELIMIT
# The same plugins applied to the gateway's own paths alone: what a prefix they skip pays.
EDGE_ELSEWHERE = EDGE.replace(
    "[plugins.ratelimit]\n", '[plugins.ratelimit]\napply_to = ["/_gateway"]\n'
)
EDGE_ELSEWHERE += '[plugins.auth]\napply_to = ["/_gateway"]\n'


def _jwt_material() -> tuple[bytes, str]:
    """An ES256 key pair made for this run: the public key as PEM for the gateway, and a token
    signed with the private one (valid a day), sent by wrk on every request."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    claims = {"iss": "https://bench.example", "aud": "bench", "sub": "bench", "scope": "write"}
    claims["exp"] = int(time.time()) + 86400
    return pem, jwt.encode(claims, key, algorithm="ES256", headers={"kid": "bench-key"})


JWT_PEM, JWT_TOKEN = _jwt_material()
# The jwt plugin as an operator enables it for one issuer (its key from a file: no provider to
# run), every request sending the same token: after the first, a cached verification.
JWT = (
    '[plugins.jwt]\nissuer = "https://bench.example"\naudience = ["bench"]\n'
    'algorithms = ["ES256"]\npublic_keys = ["bench-key.pem"]\n'
)

# Tracing on, exporting to bench/collector.py (started when a scenario needs it; its URL
# replaces {collector}), every trace kept or one in a hundred.
TRACING = '[gateway.tracing]\nenabled = true\nendpoint = "{collector}"\nsampling_ratio = '

SHIPPED = Variant("shipped", "")  # access log on, text format, loop = "auto"
VARIANTS = {
    v.name: v
    for v in [
        SHIPPED,
        Variant("no-access-log", "access_log = false"),
        Variant("metrics", "metrics = true"),
        Variant("json", 'log_format = "json"'),
        Variant("auth+ratelimit", "", EDGE),
        Variant("auth+ratelimit-elsewhere", "", EDGE_ELSEWHERE),
        Variant("auth", "", EDGE_AUTH),
        Variant("ratelimit", "", EDGE_RATELIMIT),
        Variant("jwt", "", JWT, files=(("bench-key.pem", JWT_PEM),)),
        Variant("tracing", TRACING + "1.0"),
        Variant("tracing-0.01", TRACING + "0.01"),
        # The cheaper counting an operator may choose (strategy = "fixed-window").
        Variant(
            "auth+ratelimit-fixed-window",
            "",
            EDGE.replace(
                "[plugins.ratelimit]\n", '[plugins.ratelimit]\nstrategy = "fixed-window"\n'
            ),
        ),
    ]
}


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    goal: float | None  # the ratio the issue asks for
    plugin: str | None = None  # scenarios of a plugin run only where it loads
    variant: str = "shipped"
    against: str = BARE  # the goal's denominator: bare aiohttp, or another scenario
    headers: tuple[str, ...] = ()  # sent with every request (wrk -H)


PRICE = "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"
# A proxy instance with the cache plugin in front (issue 33), its origin the fake CoinGecko:
# every measured request a hit that never reaches the origin.
PROXIED = "/up/simple/price?ids=bitcoin&vs_currencies=usd"
PROXY_CACHE = (
    '\n[plugins.up]\nplugin = "proxy"\nprefix = "/up"\nupstreams = ["{upstream}"]\n'
    '\n[plugins.cache]\napply_to = ["up"]\n\n[plugins.cache.overrides.up]\nttl = 3600\n'
)
FORWARDED = "/v1/crypto/simple/price?ids=bitcoin&vs_currencies=usd"
SCENARIOS = [
    # Goals are on server CPU per request against bare aiohttp's (issue 31; #12 and #10 set
    # them on requests/s before).
    Scenario("health-live", "/health/live", 0.85),
    Scenario("notes-one", "/notes/1", 0.60, "notes"),
    Scenario("notes-page-100", "/notes?limit=100", 0.15, "notes"),
    Scenario("crypto-price-hit", PRICE, 0.80, "crypto"),
    # The same question as CoinGecko's own path, as pycoingecko asks it (issue 33).
    Scenario("crypto-forwarded-hit", FORWARDED, 0.80, "crypto"),
    # The cache plugin's hit on a proxy instance (issue 33; bench/cache.py puts nginx beside).
    Scenario("proxy-cache-hit", PROXIED, 0.80, "proxy"),
    # What the access log costs: the same requests without it.
    Scenario("health-live-no-access-log", "/health/live", None, variant="no-access-log"),
    Scenario("notes-one-no-access-log", "/notes/1", None, "notes", variant="no-access-log"),
    Scenario("crypto-price-hit-no-access-log", PRICE, None, "crypto", variant="no-access-log"),
    # What counting every request for /metrics costs.
    Scenario("health-live+metrics", "/health/live", None, variant="metrics"),
    Scenario("crypto-price-hit+metrics", PRICE, None, "crypto", variant="metrics"),
    # Cross-cutting plugins applied to every request (issue 31: at least 0.75 of bare), and to
    # another prefix only (under 3% lost against the shipped configuration).
    Scenario("health-live+auth+ratelimit", "/health/live", 0.75, variant="auth+ratelimit"),
    Scenario("crypto-price-hit+auth+ratelimit", PRICE, 0.75, "crypto", variant="auth+ratelimit"),
    Scenario(
        "health-live+auth+ratelimit-elsewhere",
        "/health/live",
        0.97,
        variant="auth+ratelimit-elsewhere",
        against="health-live",
    ),
    # Each plugin alone on the same path: the edge row's cost, split.
    Scenario("health-live+auth", "/health/live", None, variant="auth"),
    Scenario("health-live+ratelimit", "/health/live", None, variant="ratelimit"),
    # A bearer JWT on every request, its verification cached (issue 36: at least 0.80).
    Scenario(
        "health-live+jwt",
        "/health/live",
        0.80,
        variant="jwt",
        headers=(f"Authorization: Bearer {JWT_TOKEN}",),
    ),
    Scenario(
        "health-live+auth+ratelimit-fixed-window",
        "/health/live",
        None,
        variant="auth+ratelimit-fixed-window",
    ),
    # Tracing on (issue 35): what a server span (and its export) costs, every request
    # sampled or one in a hundred; off, the shipped health-live itself is the measure.
    Scenario("health-live+tracing", "/health/live", None, variant="tracing"),
    Scenario("health-live+tracing-0.01", "/health/live", None, variant="tracing-0.01"),
    # The JSON access log against the text one: within 5%.
    Scenario("health-live+json", "/health/live", 0.95, variant="json", against="health-live"),
    Scenario("notes-one+json", "/notes/1", 0.95, "notes", variant="json", against="notes-one"),
    Scenario(
        "crypto-price-hit+json",
        PRICE,
        0.95,
        "crypto",
        variant="json",
        against="crypto-price-hit",
    ),
]


def plugin_loads(name: str) -> bool:
    probe = f"import importlib; importlib.import_module('gateway_plugins.{name}')"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


def gateway_config(
    workdir: Path, scenarios: list[Scenario], upstream: str | None, variant: Variant
) -> Path:
    """The shipped configuration (plugins.toml's defaults) with the variant's settings, its
    notes in a SQLite file of its own and crypto pointed at the fake CoinGecko.

    Every variant's server mounts the plugins of all of ``scenarios`` (the run's), whichever it
    serves: a gateway mounting fewer plugins may answer the same request faster (`/health/live`
    1-7% faster without notes, 2026-12-03), which a variant would otherwise count as its own
    setting's effect."""
    plugins = {s.plugin for s in scenarios}
    settings = variant.settings.replace("{collector}", COLLECTOR["url"])
    text = f"[gateway]\n{settings}\n\n[plugins.health]\n"
    if "notes" in plugins:
        text += '\n[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///bench-notes.db"\n'
    if "crypto" in plugins:
        text += f'\n[plugins.crypto]\nbase_url = "{upstream}"\nttl = 3600\n'
    if "proxy" in plugins:
        text += PROXY_CACHE.replace("{upstream}", str(upstream))
    if variant.tables:
        text += f"\n{variant.tables}"
    folder = workdir / variant.name
    folder.mkdir()
    for name, content in variant.files:
        (folder / name).write_bytes(content)
    path = folder / "plugins.toml"
    path.write_text(text)
    return path


# The URL of bench/collector.py once start_collector has started it.
COLLECTOR = {"url": ""}


def start_collector(
    scenarios: list[Scenario], workdir: Path, processes: list[subprocess.Popen]
) -> None:
    """bench/collector.py, when a scenario's variant exports traces to it."""
    if not any("{collector}" in VARIANTS[s.variant].settings for s in scenarios):
        return
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "collector.py"), "--port", str(port)]
    processes.append(start(command, port, workdir / "collector.log"))
    COLLECTOR["url"] = f"http://127.0.0.1:{port}/v1/traces"


def prepare(base: str, scenarios: list[Scenario]) -> None:
    plugins = {s.plugin for s in scenarios}
    if "notes" in plugins:
        for i in range(150):
            note = {"title": f"note {i}", "description": "x" * 80, "created_by": "bench"}
            request("POST", f"{base}/notes", {**note, "priority": i % 5})
    for plugin in ("crypto", "proxy"):  # the entry every measured request hits
        if plugin in plugins:
            request("GET", base + next(s.path for s in scenarios if s.plugin == plugin))


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument(
        "--public-api",
        action="store_true",
        help="serve the gateways with GATEWAY_PUBLIC_API=1: every aiohttp seam on its public "
        "path (docs/architecture.md), so the price of the kept seams shows",
    )
    parser.add_argument(
        "--no-calibrate",
        dest="calibrate",
        action="store_false",
        help=f"leave out the {BARE_WORK} row (what this machine charges for {WORK_US:g} us "
        "more work per request)",
    )
    args = parser.parse_args()
    started = datetime.now(UTC)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    wanted = set(args.only.split(",")) if args.only else None
    if wanted is not None:  # a goal against another scenario measures that one too
        wanted |= {s.against for s in SCENARIOS if s.name in wanted} - {BARE}
    scenarios = [
        s
        for s in SCENARIOS
        if (wanted is None or s.name in wanted) and (s.plugin is None or plugin_loads(s.plugin))
    ]
    with scratch() as (workdir, processes):
        upstream = None
        if any(s.plugin in ("crypto", "proxy") for s in scenarios):
            fake_port = free_port()
            fake = [sys.executable, "-m", "tests.crypto.fake_coingecko", "--port", str(fake_port)]
            serve_pinned(processes, fake, fake_port, workdir / "fake.log")
            upstream = f"http://127.0.0.1:{fake_port}"
        start_collector(scenarios, workdir, processes)
        targets: dict[str, str] = {}
        pids: dict[str, int] = {}  # the server of each target (taskset execs it: same pid)
        headers: dict[str, tuple[str, ...]] = {}
        for name, loop, work in ((BARE, "asyncio", 0), (BARE_UVLOOP, "uvloop", 0)) + (
            ((BARE_WORK, "asyncio", WORK_US),) if args.calibrate else ()
        ):
            port = free_port()
            bare = bare_app_command(port, loop, work)
            pids[name] = serve_pinned(processes, bare, port, workdir / f"{name}.log")
            targets[name] = f"http://127.0.0.1:{port}/health/live"
        for variant in VARIANTS.values():
            served = [s for s in scenarios if s.variant == variant.name]
            if not served:
                continue
            config = gateway_config(workdir, scenarios, upstream, variant)
            port = free_port()
            log = config.parent / "gateway.log"
            env = os.environ | {"GATEWAY_PUBLIC_API": "1"} if args.public_api else None
            gateway = gateway_command(config, port)
            pid = serve_pinned(processes, gateway, port, log, config.parent, env)
            base = f"http://127.0.0.1:{port}"
            prepare(base, served)
            targets |= {s.name: base + s.path for s in served}
            pids |= {s.name: pid for s in served}
            headers |= {s.name: s.headers for s in served}
        for name, url in targets.items():  # warm-up
            wrk(url, 1, args.connections, headers=headers.get(name, ()))
        runs = measure(targets, pids, args.rounds, args.duration, args.connections, headers)

    charged = calibration(runs)
    report(runs, scenarios, args, charged)
    write_results(summarise(runs, scenarios), started, args, charged)


@dataclass
class Run:
    round: int
    name: str
    rate: float  # requests/second
    cpu: float  # server CPU microseconds per request
    # The bare aiohttp runs just before and just after this one (for bare itself: None).
    before: Run | None = None
    after: Run | None = None

    def ratio(self) -> float:
        """Requests/second against bare aiohttp's in the runs either side of this one."""
        assert self.before is not None and self.after is not None
        return self.rate / ((self.before.rate + self.after.rate) / 2)

    def cpu_ratio(self) -> float:
        """Bare aiohttp's CPU per request (either side) over this run's."""
        assert self.before is not None and self.after is not None
        return (self.before.cpu + self.after.cpu) / 2 / self.cpu


def measure(
    targets: dict[str, str],
    pids: dict[str, int],
    rounds: int,
    duration: int,
    connections: int,
    headers: dict[str, tuple[str, ...]] | None = None,
) -> list[Run]:
    """Every target once per round, bare aiohttp again after every BARE_EVERY of them.

    On a shared virtual machine the speed of the same server moves by a third within a minute,
    and slowly over a run: a ratio of medians taken minutes apart measures that drift. Each run
    is instead compared with the bare runs just before and after it, seconds away, and the order
    of the others turns by one each round, so that none is always last.
    """
    others = [name for name in targets if name != BARE]
    runs: list[Run] = []
    for round_no in range(1, rounds + 1):
        order = turned(others, round_no - 1)
        plan = [BARE]
        for i, name in enumerate(order, 1):
            plan.append(name)
            if i % BARE_EVERY == 0 or i == len(order):
                plan.append(BARE)
        done: list[Run] = []
        for name in plan:
            sent = (headers or {}).get(name, ())
            rate, cpu = measured(targets[name], pids[name], duration, connections, sent)
            done.append(Run(round_no, name, rate, cpu))
        bare_runs = [i for i, run in enumerate(done) if run.name == BARE]
        for i, run in enumerate(done):
            if run.name != BARE:
                run.before = done[max(b for b in bare_runs if b < i)]
                run.after = done[min(b for b in bare_runs if b > i)]
        runs += done
        mine = {run.name: run for run in done if run.name != BARE}
        print(f"round {round_no}: " + ", ".join(f"{n} {mine[n].rate:.0f}" for n in others))
    return runs


def _ratios(runs: list[Run], name: str, against: str, cpu: bool = False) -> list[float]:
    """``name``'s ratio to ``against`` in each round (BARE, or another target, both taken
    against the bare runs around them in the same round)."""
    ratios = []
    for run in (r for r in runs if r.name == name):
        value = run.cpu_ratio() if cpu else run.ratio()
        if against != BARE:
            other = next(r for r in runs if r.name == against and r.round == run.round)
            value /= other.cpu_ratio() if cpu else other.ratio()
        ratios.append(value)
    return ratios


def _median_ratio(runs: list[Run], name: str, against: str, cpu: bool = False) -> float:
    """The median over rounds of :func:`_ratios`."""
    return statistics.median(_ratios(runs, name, against, cpu))


def _quartiles(values: list[float]) -> tuple[float, float]:
    """The first and third quartiles of the rounds' ratios: how far one round is from the
    next on this machine, so that a verdict is read against it."""
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def verdict(ratios: list[float], goal: float) -> str:
    """``ok`` when the median round reaches the goal; ``BELOW`` when even the third quartile
    does not; ``below, within spread`` when the goal lies between the median and the third
    quartile (a run on a quieter minute may read either way)."""
    if statistics.median(ratios) >= goal:
        return "ok"
    return "BELOW" if _quartiles(ratios)[1] < goal else "below, within spread"


def report(
    runs: list[Run], scenarios: list[Scenario], args: argparse.Namespace, charged: float | None
) -> None:
    print(
        f"\nwrk -t1 -c{args.connections} -d{args.duration}s, {args.rounds} rounds, bare aiohttp "
        f"measured again after every {BARE_EVERY} runs; ratios are medians over rounds of each "
        "run against the bare runs either side of it, q1-q3 the rounds' quartiles"
    )
    header = f"{'scenario':<36} {'median req/s':>12} {'/bare':>6} {'q1-q3':>9} {'/uvloop':>8}"
    print(f"{header} {'CPU us/req':>10} {'/bare CPU':>9}  goal")
    calibrated = [BARE_WORK] if any(r.name == BARE_WORK for r in runs) else []
    for name in [BARE, BARE_UVLOOP, *calibrated, *(s.name for s in scenarios)]:
        own = [r for r in runs if r.name == name]
        rate = statistics.median(r.rate for r in own)
        cpu = statistics.median(r.cpu for r in own)
        if name == BARE:
            ratio = ratio_uvloop = cpu_ratio = 1.0
            ratio_uvloop = 1 / _median_ratio(runs, BARE_UVLOOP, BARE)
            spread = ""
        else:
            ratio = _median_ratio(runs, name, BARE)
            ratio_uvloop = _median_ratio(runs, name, BARE_UVLOOP) if name != BARE_UVLOOP else 1.0
            cpu_ratio = _median_ratio(runs, name, BARE, cpu=True)
            q1, q3 = _quartiles(_ratios(runs, name, BARE))
            spread = f"{q1:.2f}-{q3:.2f}"
        line = f"{name:<36} {rate:>12.0f} {ratio:>6.2f} {spread:>9} {ratio_uvloop:>8.2f}"
        line += f" {cpu:>10.1f} {cpu_ratio:>9.2f}"
        scenario = next((s for s in scenarios if s.name == name), None)
        if scenario is not None and scenario.goal is not None:
            ratios = _ratios(runs, name, scenario.against, cpu=True)
            achieved = statistics.median(ratios)
            against = "bare" if scenario.against == BARE else scenario.against
            line += f"  CPU {achieved:.2f} of {against} >= {scenario.goal:.2f} "
            line += verdict(ratios, scenario.goal)
        print(line)
    if charged is not None:  # calibration(runs)
        print(
            f"\ncalibration: {WORK_US:g} us more work per request measured as {charged:.1f} us "
            f"of server CPU ({BARE_WORK} against bare; a linear machine: {WORK_US:g})"
        )
    if guest_halt_poll_ns() == 0:
        print(
            f"this VM halts an idle vCPU at once ({HALT_POLL} is 0): a server pays to wake "
            "wrk's, and ratios below 1 read low (bench/README.md, Method)"
        )


# A KVM guest's cpuidle-haltpoll: how long an idle vCPU polls before it halts (the kernel's
# default is 200000); absent on other machines.
HALT_POLL = Path("/sys/module/haltpoll/parameters/guest_halt_poll_ns")


def guest_halt_poll_ns() -> int | None:
    """The guest's halt-polling time, or None where the machine has no such setting."""
    try:
        return int(HALT_POLL.read_text())
    except (OSError, ValueError):
        return None


def calibration(runs: list[Run]) -> float | None:
    """What the machine charged, in server CPU per request, for WORK_US more work: the
    median over rounds of the calibration run's CPU less the bare runs' either side."""
    own = [r for r in runs if r.name == BARE_WORK]
    if not own:
        return None
    return statistics.median(
        r.cpu - (r.before.cpu + r.after.cpu) / 2 for r in own if r.before and r.after
    )


def summarise(runs: list[Run], scenarios: list[Scenario]) -> dict[str, dict]:
    """Each row of the report, as numbers: ``median`` (requests/s), ``ratio`` and its
    ``quartiles`` (to bare aiohttp), ``ratio_uvloop``, ``cpu_us_per_request``, ``cpu_ratio``,
    and for a row with a goal ``goal``, ``against``, ``achieved``, ``achieved_quartiles`` and
    ``verdict``; ``runs`` holds the requests/s of every round."""
    summary: dict[str, dict] = {}
    for name in dict.fromkeys(r.name for r in runs):
        own = [r for r in runs if r.name == name]
        entry: dict = {
            "median": statistics.median(r.rate for r in own),
            "cpu_us_per_request": statistics.median(r.cpu for r in own),
            "runs": [r.rate for r in own],
        }
        if name != BARE:
            entry["ratio"] = _median_ratio(runs, name, BARE)
            entry["quartiles"] = _quartiles(_ratios(runs, name, BARE))
            if name != BARE_UVLOOP:
                entry["ratio_uvloop"] = _median_ratio(runs, name, BARE_UVLOOP)
            entry["cpu_ratio"] = _median_ratio(runs, name, BARE, cpu=True)
        scenario = next((s for s in scenarios if s.name == name), None)
        if scenario is not None and scenario.goal is not None:
            entry |= {"goal": scenario.goal, "against": scenario.against, "goal_on": "cpu"}
            ratios = _ratios(runs, name, scenario.against, cpu=True)
            entry["achieved"] = statistics.median(ratios)
            entry["achieved_quartiles"] = _quartiles(ratios)
            entry["verdict"] = verdict(ratios, scenario.goal)
        summary[name] = entry
    return summary


def write_results(
    summary: dict[str, dict],
    started: datetime,
    args: argparse.Namespace,
    calibration_us: float | None = None,
) -> Path:
    """The run's figures as JSON: ``bench/results/latest.json`` (the rows alone, read by
    bench/ratelimit_cost.py) and a dated file, ``bench/results/YYYY-MM-DDTHHMM.json``, with
    the command, the commit and the settings beside the rows: the record to commit, instead
    of prose, when a run is worth keeping (bench/README.md)."""
    write_latest("latest.json", summary)
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    record = {
        "kind": "run.py",
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit or None,
        "command": " ".join(["python", "bench/run.py", *sys.argv[1:]]),
        "threads": 1,
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "public_api": args.public_api,
        "rows": summary,
        # WORK_US more busy work per request cost this many us of server CPU (linear: WORK_US).
        "calibration_us_for_5us": calibration_us,
        "guest_halt_poll_ns": guest_halt_poll_ns(),
    }
    dated = RESULTS / f"{started:%Y-%m-%dT%H%M}{'-public-api' if args.public_api else ''}.json"
    dated.write_text(json.dumps(record, indent=1) + "\n")
    print(f"\nresults: {dated.relative_to(ROOT)} (and bench/results/latest.json)")
    return dated


if __name__ == "__main__":
    main()
