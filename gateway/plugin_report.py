"""Each plugin's row as ``gateway plugins``, ``gateway check`` and ``/_gateway/plugins`` show
it, from building (not starting) every enabled plugin; shared by the CLI and the workers'
master, which checks a config before a reload."""

from __future__ import annotations

from typing import Any

from gateway.config import GatewayConfig
from gateway.redact import redact_text


def build_problems(config: GatewayConfig, report: list[dict[str, Any]]) -> list[str]:
    """One line per enabled plugin that failed to build, as ``gateway check`` prints it."""
    return [
        redact_text(f"{config.path}: plugins.{row['name']}: {row['error']}")
        for row in report
        if row["enabled"] and row["status"] == "failed"
    ]


async def build_report(config: GatewayConfig) -> list[dict[str, Any]]:
    """Each plugin's row for ``gateway plugins``, building (not starting) every enabled one."""
    return (await build_listing(config))["plugins"]


async def build_listing(config: GatewayConfig) -> dict[str, Any]:
    """What ``/_gateway/plugins`` serves: every plugin's row, and the middlewares that run on
    each prefix in their order, building (not starting) every enabled plugin."""
    # Imported here: gateway.app imports prometheus-client, which must not be imported before
    # `gateway serve --workers` sets PROMETHEUS_MULTIPROC_DIR (gateway/metrics.py).
    from gateway.app import create_app
    from gateway.keys import MIDDLEWARE_CHAINS, PLUGIN_REPORT

    app = await create_app(config, strict=False)
    return {"plugins": app[PLUGIN_REPORT], "middlewares": app[MIDDLEWARE_CHAINS]}
