"""Running health checks: every mounted check concurrently, each under its timeout."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from gateway.contract import (
    CheckResult as CheckResult,
    HealthCheck as HealthCheck,
    Status as Status,
)


@dataclass(frozen=True)
class MountedCheck:
    """A plugin's health check under its reported name (``notes:database``)."""

    name: str
    check: HealthCheck
    # The instance that contributed it (the part of ``name`` before the colon, kept apart
    # because an instance's name may itself hold a colon): its row in /_gateway/plugins.
    instance: str = ""


SEVERITY = {"pass": 0, "warn": 1, "fail": 2}


async def run_checks(
    mounted: Sequence[MountedCheck], limit: float
) -> dict[str, list[dict[str, Any]]]:
    """Run every check concurrently, each under ``min(its timeout, limit)``.

    The result is keyed by the check's reported name; each value is one
    draft-inadarei-api-health-check entry. A check that raises or times out reports ``fail``.
    """
    results = await asyncio.gather(*(_run(check, limit) for check in mounted))
    return {check.name: [result] for check, result in zip(mounted, results, strict=True)}


def worst(checks: dict[str, list[dict[str, Any]]]) -> Status:
    statuses = [entry["status"] for entries in checks.values() for entry in entries]
    return max(statuses, key=SEVERITY.__getitem__, default="pass")


def with_health(
    rows: list[dict[str, object]],
    mounted: Sequence[MountedCheck],
    results: dict[str, list[dict[str, Any]]],
) -> list[dict[str, object]]:
    """The plugin report's ``rows``, each instance that contributes checks with its own
    ``health`` (``{"status", "checks"}``, as ``/health`` reports them) from ``results`` of
    :func:`run_checks`: what ``/_gateway/plugins`` and the dashboard show per instance (the
    proxy's targets, a pool's use) beside its settings. The rows themselves are not changed."""
    by_instance: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for check in mounted:
        if check.name in results:
            by_instance.setdefault(check.instance, {})[check.name] = results[check.name]
    out: list[dict[str, object]] = []
    for row in rows:
        checks = by_instance.get(str(row["name"]))
        out.append(row if checks is None else {**row, "health": _summary(checks)})
    return out


def _summary(checks: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"status": worst(checks), "checks": checks}


async def _run(mounted: "MountedCheck", limit: float) -> dict[str, Any]:
    timeout = min(mounted.check.timeout, limit)
    try:
        async with asyncio.timeout(timeout):
            result = await mounted.check.check() or CheckResult()
    except TimeoutError:
        result = CheckResult("fail", f"timed out after {timeout:g}s")
    except Exception as exc:  # a broken check is that check's failure, not the endpoint's
        result = CheckResult("fail", f"{type(exc).__name__}: {exc}")
    if result.status == "fail" and not mounted.check.required:
        # The instance serves without it: say so, and never fail readiness over it.
        output = result.output or "failed"
        result = replace(result, status="warn", output=f"{output} (not required: still serving)")
    entry: dict[str, Any] = {
        "componentType": mounted.check.component_type,
        "status": result.status,
        "time": datetime.now(UTC).isoformat(),
    }
    if result.observed_value is not None:
        entry["observedValue"] = result.observed_value
        entry["observedUnit"] = result.observed_unit
    if result.output:
        entry["output"] = result.output
    entry.update(result.details)
    return entry
