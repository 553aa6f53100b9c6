"""The types of the health-check contract: what a plugin's check is and what it reports."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from gateway.keys import MountedCheck

Status = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class CheckResult:
    """What one check observed; field names follow draft-inadarei-api-health-check."""

    status: Status = "pass"
    output: str | None = None
    observed_value: Any = None
    observed_unit: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthCheck:
    """A named async check a plugin contributes through ``gateway_health_checks``.

    ``check`` is awaited with no arguments and returns a :class:`CheckResult` (``None`` means
    pass). Raising, or running longer than ``timeout`` seconds, reports ``fail``.
    """

    name: str
    check: Callable[[], Awaitable[CheckResult | None]]
    timeout: float = 2.0
    component_type: str = "component"


SEVERITY = {"pass": 0, "warn": 1, "fail": 2}


async def run_checks(
    mounted: Sequence["MountedCheck"], limit: float
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


async def _run(mounted: "MountedCheck", limit: float) -> dict[str, Any]:
    timeout = min(mounted.check.timeout, limit)
    try:
        async with asyncio.timeout(timeout):
            result = await mounted.check.check() or CheckResult()
    except TimeoutError:
        result = CheckResult("fail", f"timed out after {timeout:g}s")
    except Exception as exc:  # a broken check is that check's failure, not the endpoint's
        result = CheckResult("fail", f"{type(exc).__name__}: {exc}")
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
