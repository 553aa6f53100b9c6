"""What the cache plugin adds to /openapi.json: the request's Cache-Control and the 504 of
``only-if-cached`` where its middleware runs, and its purge endpoint's parameters and answers."""

from __future__ import annotations

from gateway import (
    OpenAPIExtension,
    OpenAPIRoute,
    OperationExtension,
    openapi_problem_response as problem_response,
    purge_operations,
)

_CACHE_STATUS = {
    "schema": {"type": "string"},
    "description": "RFC 9211: how the cache handled the request (hit, fwd=..., stored).",
}
_REQUEST_CACHE_CONTROL = {
    "name": "Cache-Control",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "RFC 9111 request directives the cache obeys: max-age, max-stale, "
    "min-fresh, no-cache, no-store, only-if-cached.",
}


def describe(routes: list[OpenAPIRoute], instance: str) -> OpenAPIExtension:
    label = f"{instance}:cache"
    extension = OpenAPIExtension(operations=purge_operations(routes, instance))
    for route in routes:
        if label in route.middlewares and route.method == "GET":
            extension.operations[route] = OperationExtension(
                parameters=[_REQUEST_CACHE_CONTROL],
                responses={
                    "504": problem_response(
                        "only-if-cached, and nothing stored answers the request.",
                        headers={"Cache-Status": _CACHE_STATUS},
                    )
                },
            )
    return extension
