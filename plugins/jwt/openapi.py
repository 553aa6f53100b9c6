"""What a jwt instance adds to /openapi.json: its bearer scheme, as one more way in beside
the API keys (gateway.openapi.either_of joins the providers' alternatives), and its 401 and
503 on every operation where its middleware runs."""

from __future__ import annotations

from gateway import (
    RETRY_AFTER,
    OpenAPIExtension,
    OpenAPIRoute,
    OperationExtension,
    openapi_problem_response as problem_response,
)
from gateway_plugins.jwt.settings import JwtSettings


def scheme_name(instance: str) -> str:
    """``jwt`` for the default instance, ``jwt.NAME`` for a named one (never auth's
    ``bearer`` or ``apiKey``)."""
    return "jwt" if instance == "jwt" else f"jwt.{instance}"


def describe(routes: list[OpenAPIRoute], settings: JwtSettings, instance: str) -> OpenAPIExtension:
    name = scheme_name(instance)
    issuer = f" issued by {settings.issuer}" if settings.issuer else ""
    scheme = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": f"A JWT{issuer} ({', '.join(settings.algorithms)}) as "
        "Authorization: Bearer <token>.",
    }
    extension = OpenAPIExtension(components={"securitySchemes": {name: scheme}})
    refused = problem_response(
        "A bearer JWT that does not verify (expired, wrong issuer or audience, bad signature).",
        headers={
            "WWW-Authenticate": {
                "description": 'Bearer realm="...", error="invalid_token", error_description="..."',
                "schema": {"type": "string"},
            }
        },
    )
    no_keys = problem_response(
        "The identity provider's keys could not be fetched yet.",
        headers={"Retry-After": RETRY_AFTER},
    )
    label = f"{instance}:"
    for route in routes:
        if any(m.startswith(label) for m in route.middlewares):
            # This provider identifies callers and requires nothing ({}): whether a
            # credential is needed is the rules' to say; a JWT is one more way in.
            extension.operations[route] = OperationExtension(
                security=[{}, {name: []}], responses={"401": refused, "503": no_keys}
            )
    return extension
