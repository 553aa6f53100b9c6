"""What the auth plugin adds to /openapi.json: its security schemes, and on every route where
its middlewares run, the scope its rules require (the same RuleBook the middleware asks), 401,
403 and 429 (too many wrong keys).

Its two schemes are alternatives (one requirement object each), and so are other identity
providers' schemes beside them (gateway.openapi.either_of): an operation whose rule needs a
scope lists no ``{}``, so the document never says it may be called anonymously."""

from __future__ import annotations

from gateway import (
    RETRY_AFTER,
    OpenAPIExtension,
    OpenAPIRoute,
    OperationExtension,
    openapi_problem_response as problem_response,
)
from gateway_plugins.auth.rules import RuleBook
from gateway_plugins.auth.settings import PUBLIC, AuthSettings

_WWW_AUTHENTICATE = {
    "description": 'Bearer realm="..." (error="invalid_token" for a wrong key)',
    "schema": {"type": "string"},
}


def describe(routes: list[OpenAPIRoute], settings: AuthSettings) -> OpenAPIExtension:
    schemes = {}
    if settings.identity_header in ("authorization", "both"):
        schemes["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`gateway auth new-key`) as Authorization: Bearer <key>.",
        }
    if settings.identity_header in ("x-api-key", "both"):
        schemes["apiKey"] = {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "An API key (`gateway auth new-key`) in X-API-Key.",
        }
    rules = RuleBook(settings.rules)
    extension = OpenAPIExtension(components={"securitySchemes": schemes})
    wrong_key = problem_response(
        "A wrong API key or a bearer credential no identity provider accepted (sent even to a "
        "public route), or none where one is needed.",
        headers={"WWW-Authenticate": _WWW_AUTHENTICATE},
    )
    too_many = problem_response(
        f"Too many wrong keys from this address (max_failures = {settings.max_failures}).",
        headers={"Retry-After": RETRY_AFTER},
    )
    for route in routes:
        if not any(label.startswith("auth:") for label in route.middlewares):
            continue
        required = rules.required_for(route.plugin, route.path, route.method)
        responses = {"401": wrong_key, "429": too_many}
        security: list[dict[str, list[str]]]
        if required == PUBLIC:
            # No key needed, but one that is sent is checked: optional security.
            security = [{}]
            security += ({name: []} for name in schemes)
        else:
            security = [{name: [required]} for name in schemes]
            responses["403"] = problem_response(f"The caller lacks scope {required!r}.")
        extension.operations[route] = OperationExtension(security=security, responses=responses)
    return extension
