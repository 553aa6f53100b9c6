"""The types of the health-check contract: what a plugin's check is and what it reports."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

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
