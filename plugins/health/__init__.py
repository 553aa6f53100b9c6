"""Health: liveness, readiness and every mounted plugin's checks as ``application/health+json``.

A check declared ``required=False`` (a dependency the instance serves without) reports a
failure as ``warn``; only required checks, start-up and draining fail readiness.

The simplest built-in plugin, and the template to copy for a new one: a settings model, the
``gateway_plugin_info`` declaration, and a ``gateway_create_app`` that builds a sub-application.
Response shape: draft-inadarei-api-health-check.
"""

from typing import Any

from aiohttp import web
from pydantic import Field

from gateway import (
    PluginInfo,
    PluginSettings,
    __version__,
    hookimpl,
    json_response,
    not_ready_because,
    run_health_checks,
    worst,
)

HEALTH_JSON = "application/health+json"


class HealthSettings(PluginSettings):
    # An upper bound on every check's own timeout, so one probe can never hang a load balancer.
    timeout: float = Field(5.0, gt=0, le=60)


SETTINGS = web.AppKey("health.settings", HealthSettings)


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="health",
        default_prefix="/health",
        settings=HealthSettings,
        description="Liveness, readiness and the health checks every plugin contributes.",
        # One /health answers for every plugin and instance: a second would add nothing.
        single_instance=True,
        # Probes come from the platform: on the admin listener when there is one.
        admin=True,
    )


_HEALTH_SCHEMA = {
    "type": "object",
    "description": "draft-inadarei-api-health-check",
    "required": ["status", "version"],
    "properties": {
        "status": {"enum": ["pass", "warn", "fail"]},
        "version": {"type": "string"},
        "output": {"type": "string"},
        "checks": {
            "type": "object",
            "description": "Keyed plugin:check (notes:database); one result each.",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["componentType", "status", "time"],
                    "properties": {
                        "componentType": {"type": "string"},
                        "status": {"enum": ["pass", "warn", "fail"]},
                        "time": {"type": "string", "format": "date-time"},
                        "observedValue": {},
                        "observedUnit": {"type": ["string", "null"]},
                        "output": {"type": "string"},
                    },
                },
            },
        },
    },
}


def _health_responses(fail: str) -> dict[str, Any]:
    content = {HEALTH_JSON: {"schema": {"$ref": "#/components/schemas/Health"}}}
    return {
        "200": {"description": "pass or warn.", "content": content},
        "503": {"description": fail, "content": content},
    }


@hookimpl
def gateway_openapi() -> dict[str, Any]:
    """A plugin describes its own routes, relative to its mount: "/" is the bare prefix."""
    return {
        "paths": {
            "/": {
                "get": {
                    "operationId": "health",
                    "summary": "Every plugin's checks, run concurrently",
                    "responses": _health_responses("A check failed."),
                }
            },
            "/live": {
                "get": {
                    "operationId": "live",
                    "summary": "Liveness: the process answers; nothing is checked",
                    "responses": {"200": _health_responses("")["200"]},
                }
            },
            "/ready": {
                "get": {
                    "operationId": "ready",
                    "summary": "Readiness: every check, and fail while starting or draining",
                    "responses": _health_responses("A check failed, or starting or draining."),
                }
            },
        },
        "components": {"schemas": {"Health": _HEALTH_SCHEMA}},
    }


@hookimpl
def gateway_create_app(settings: HealthSettings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app.router.add_get("/", health)
    app.router.add_get("/live", live)
    app.router.add_get("/ready", ready)
    return app


async def live(request: web.Request) -> web.Response:
    """The process answers: no dependency is checked."""
    return _answer("pass", {})


async def health(request: web.Request) -> web.Response:
    """Every check, run concurrently; 200 for pass or warn, 503 for fail."""
    checks = await _run_all(request)
    return _answer(worst(checks), checks)


async def ready(request: web.Request) -> web.Response:
    """Every check, and 503 while the gateway is starting or draining for shutdown."""
    why = not_ready_because(request)
    if why is not None:
        return _answer("fail", {}, output=why)
    checks = await _run_all(request)
    return _answer(worst(checks), checks)


async def _run_all(request: web.Request) -> dict[str, list[dict[str, Any]]]:
    return await run_health_checks(request, request.app[SETTINGS].timeout)


def _answer(status: str, checks: dict[str, Any], output: str | None = None) -> web.Response:
    body: dict[str, Any] = {"status": status, "version": __version__}
    if output:
        body["output"] = output
    if checks:
        body["checks"] = checks
    return json_response(
        body,
        status=503 if status == "fail" else 200,
        headers={"Cache-Control": "no-store"},
        content_type=HEALTH_JSON,
    )
