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
