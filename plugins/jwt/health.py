"""The instance's ``/health`` entry: the key set's age and the last fetch's outcome.

Not required (``/health`` reports its failure as ``warn``, readiness holds): the identity
provider is shared by every instance of the gateway, and failing readiness on it would take
them all out of the load balancer at once, while the last good keys still verify tokens. No
URL is shown: ``/health`` is public.
"""

from __future__ import annotations

from gateway import CheckResult
from gateway_plugins.jwt.keysource import KeySource


def source_kind(source: KeySource) -> str:
    settings = source.settings
    if settings.jwks_url:
        return "jwks_url"
    if settings.uses_discovery:
        return "discovery"
    if settings.has_key_source:
        return "files"
    return "secret"


async def keys_check(source: KeySource) -> CheckResult:
    kind = source_kind(source)
    if kind == "secret":
        return CheckResult("pass", "HS* tokens, checked with the configured secret")
    age = source.age()
    details = {
        "source": kind,
        "keys": len(source.keys) if source.keys is not None else 0,
        "ageSeconds": None if age is None else round(age, 1),
        "lastFetch": source.last_outcome,
        "fetches": source.fetches,
    }
    if source.keys is None:
        return CheckResult("fail", f"no key set: {source.last_outcome}", details=details)
    assert age is not None
    if source.last_ok is False:
        output = f"{source.last_outcome}; using the key set of {round(age)}s ago"
        return CheckResult(
            "warn", output, observed_value=round(age, 1), observed_unit="s", details=details
        )
    return CheckResult(
        "pass",
        f"{len(source.keys)} keys, {round(age)}s old",
        observed_value=round(age, 1),
        observed_unit="s",
        details=details,
    )
