"""The types of the health-check contract: what a plugin's check is and what it reports."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
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

    ``required`` says what kind of check it is. ``True`` (the default, and what every check was
    before the field existed): this instance cannot serve without it, so its ``fail`` fails
    ``/health`` and readiness (503) and takes this instance out of its load balancer. ``False``:
    a dependency the instance can serve without (from memory, stale, or with that plugin's
    requests answering 503 while the rest serve); its ``fail`` is reported as ``warn`` (the
    output says it was a failure) and never fails readiness. The rule the built-in plugins
    follow: what is specific to this instance (its start-up, its own files) is required; a
    store or upstream that every instance shares is not, because failing readiness on it would
    take every instance out of the load balancer at once.
    """

    name: str
    check: Callable[[], Awaitable[CheckResult | None]]
    timeout: float = 2.0
    component_type: str = "component"
    required: bool = True


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
