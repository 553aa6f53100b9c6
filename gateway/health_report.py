"""The whole gateway's health, as a plugin reads it: every mounted check, and readiness.

The health plugin serves these at ``/health``, ``/health/ready``; a plugin of an operator's own
(a status page, another health format) may serve them just as well.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.health import run_checks
from gateway.keys import HEALTH_CHECKS, STATE


async def run_health_checks(request: web.Request, limit: float) -> dict[str, list[dict[str, Any]]]:
    """Every health check every enabled plugin contributed, run concurrently, each under
    ``min(its timeout, limit)``: draft-inadarei-api-health-check entries keyed by the check's
    reported name (``notes:database``). A check that raises or times out reports ``fail``."""
    mounted = request.config_dict[HEALTH_CHECKS]
    return await run_checks(mounted, limit)


def not_ready_because(request: web.Request) -> str | None:
    """``None`` while the gateway serves; otherwise why readiness must fail (``"starting up"``,
    ``"draining for shutdown"``, or out of file descriptors: gateway/descriptors.py)."""
    state = request.config_dict[STATE]
    if state.ready:
        return state.descriptors.reason()
    return "draining for shutdown" if state.draining else "starting up"
