"""``GET /_gateway/``: the operator dashboard, and ``GET /_gateway/status``, the data it polls.

Everything lives under ``/_gateway/`` so that one rule protects the page, its data and its
assets (the auth plugin's default rule asks for the admin scope there). The page is static
HTML, CSS and JavaScript shipped in the wheel (gateway/static/dashboard), with no CDN; it
polls ``status`` every few seconds and draws its chart as SVG itself.

What ``/_gateway/status`` shows is generic: the plugin report (settings already redacted),
every health check's own result (a plugin puts what operators need in its check: the notes
pool use, the crypto cache hit ratio and rate-limit window), and per-plugin traffic from
:mod:`gateway.traffic` when metrics are on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.docs import STATIC, html_page
from gateway.gc_tuning import report as gc_report
from gateway.health import run_checks, with_health, worst
from gateway.identity import identity_of
from gateway.keys import (
    CONFIG,
    CONFIG_HASH,
    HEALTH_CHECKS,
    MIDDLEWARE_CHAINS,
    PLUGIN_REPORT,
    STATE,
)
from gateway.reload_metrics import last_reload
from gateway.responses import json_response
from gateway.static_assets import StaticAssets
from gateway.traffic import TRAFFIC, TrafficHistory, sample_traffic
from gateway.version import __version__

ASSETS = "/_gateway/assets"
CHECK_LIMIT = 5.0  # seconds: no check may hold the dashboard's data for longer
METRICS_OFF = (
    "Metrics are off, so request rate, error rate, latency percentiles and the chart cannot "
    "be shown. Set [gateway] metrics = true in plugins.toml to see them."
)


async def dashboard_view(request: web.Request) -> web.Response:
    return html_page("dashboard/index.html")


async def status_view(request: web.Request) -> web.Response:
    """A snapshot of everything the dashboard shows (never cached)."""
    root = request.app
    mounted = root[HEALTH_CHECKS]
    checks = await run_checks(mounted, CHECK_LIMIT)
    state = root[STATE]
    history = root.get(TRAFFIC)
    traffic: dict[str, Any] = (
        {"available": False, "reason": METRICS_OFF} if history is None else history.summary()
    )
    caller = identity_of(request)
    body = {
        "generated_at": datetime.now(UTC).isoformat(),
        "version": __version__,
        # As /health/ready answers: a required check failing is "not ready" (non-required
        # ones report warn, never fail: gateway/health.py).
        "state": "draining"
        if state.draining
        else "starting"
        if not state.ready
        else "not ready"
        if worst(checks) == "fail"
        else "ready",
        # Who is looking (a signed-in operator can sign out); never their credential.
        "caller": None if caller is None else {"name": caller.name, "provider": caller.provider},
        # Each instance's row with its own checks' results (gateway.health.with_health).
        "plugins": with_health(root[PLUGIN_REPORT], mounted, checks),
        # By prefix (a plugin's, /_gateway, /metrics): the middlewares that run, outermost first.
        "middlewares": root.get(MIDDLEWARE_CHAINS, {}),
        "health": {"status": worst(checks), "checks": checks},
        "traffic": traffic,
        # The file's hash, and how the last reload (SIGHUP) went, if any.
        "config": {"hash": root[CONFIG_HASH], "last_reload": last_reload()},
        # The collector as `gateway serve` tuned it (gateway/gc_tuning.py).
        "gc": gc_report(),
    }
    return json_response(body, headers={"Cache-Control": "no-store"})


def add_dashboard_routes(root: web.Application) -> None:
    """The dashboard, its data and its assets; with metrics on, the traffic sampler too."""
    root.router.add_get("/_gateway/", dashboard_view)
    root.router.add_get("/_gateway/status", status_view)
    StaticAssets(STATIC / "dashboard").add_route(root, ASSETS)  # compressed once per coding
    if root[CONFIG].gateway.metrics:
        root[TRAFFIC] = TrafficHistory()
        root.cleanup_ctx.append(sample_traffic)
