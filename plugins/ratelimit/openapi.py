"""What the ratelimit plugin adds to /openapi.json: 429 (and 503 with on_storage_error =
"deny") on every route where its middleware runs, naming the policy that applies there, and
the RateLimit fields on every answer there."""

from __future__ import annotations

from collections.abc import Mapping

from gateway import (
    RETRY_AFTER,
    OpenAPIExtension,
    OpenAPIRoute,
    OperationExtension,
    openapi_problem_response as problem_response,
)
from gateway_plugins.ratelimit.settings import RateLimitSettings

_FIELD = {"schema": {"type": "string"}}
# draft-ietf-httpapi-ratelimit-headers: on every answer the middleware admits, and its 429s.
_FIELDS = {
    "RateLimit-Policy": {**_FIELD, "description": "The policy, as in the draft."},
    "RateLimit": {**_FIELD, "description": "What is left, and when it resets."},
}


def describe(
    routes: list[OpenAPIRoute], settings: RateLimitSettings, scopes: Mapping[str, str]
) -> OpenAPIExtension:
    overrides = {scopes.get(name, name): policy for name, policy in settings.overrides.items()}
    extension = OpenAPIExtension()
    for route in routes:
        if not any(label.startswith("ratelimit:") for label in route.middlewares):
            continue
        if route.plugin is not None:
            scope = route.plugin
        else:
            scope = "/_gateway" if route.path.startswith("/_gateway") else route.path
        policy = overrides.get(scope)
        limits, by = (policy.limits, policy.by) if policy else (settings.limits, settings.by)
        responses = {
            "429": problem_response(
                f"Rate limit reached ({', '.join(limits)} per {by}).",
                headers={"Retry-After": RETRY_AFTER, **_FIELDS},
            )
        }
        if settings.on_storage_error == "deny":
            responses["503"] = problem_response(
                "The rate-limit store is unavailable and requests are refused.",
                headers={"Retry-After": RETRY_AFTER},
            )
        # An admitted answer carries the fields too (a refusal by another middleware, or one
        # the gateway answers before this one runs, may not: they are not required).
        extension.operations[route] = OperationExtension(responses=responses, headers=_FIELDS)
    return extension
