"""The admin purge of a plugin's stored answers, for every plugin that keeps a
:class:`~gateway.CacheStore` (the cache plugin's instances, crypto): one endpoint, one
description.

``DELETE /_gateway/plugins/<instance>/entries?key=/path?query`` drops that stored key with its
variants; ``?prefix=/path/`` drops every key starting with it. A plugin serves it as its
``ADMIN_ROUTES`` (``app[ADMIN_ROUTES] = purge_routes(store.purge)``), so wherever /_gateway is
protected (auth's default rule: the ``admin`` scope), so is this; and it describes it in its
``gateway_openapi_extend`` with :func:`purge_operations`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from gateway.contract import OpenAPIRoute, OperationExtension
from gateway.errors import ProblemError
from gateway.openapi import problem_response
from gateway.responses import json_response

# A store's purge: how many keys it dropped for ``key`` (with its variants) or ``prefix``.
Purge = Callable[..., Awaitable[int]]
# Where a plugin's purge is served, under the root: /_gateway/plugins/<instance> + this.
ENTRIES = "/entries"


def purge_routes(purge: Purge) -> list[web.RouteDef]:
    """The ``DELETE /entries`` route over ``purge`` (``purge(key=..., prefix=...)``)."""

    async def purge_entries(request: web.Request) -> web.Response:
        key = request.query.get("key")
        prefix = request.query.get("prefix")
        if (key is None) == (prefix is None):
            raise ProblemError(
                400,
                "Say what to purge with exactly one of ?key=/path?query (that URL, every "
                "variant) or ?prefix=/path/ (every stored URL starting with it).",
            )
        given = key if key is not None else prefix
        assert given is not None
        if not given.startswith("/"):
            raise ProblemError(400, f"{given!r} is no path: keys start with / (/svc/items?id=1).")
        purged = await purge(key=key, prefix=prefix)
        body = (
            {"purged": purged, "key": key}
            if key is not None
            else {"purged": purged, "prefix": prefix}
        )
        return json_response(body, headers={"Cache-Control": "no-store"})

    return [web.delete(ENTRIES, purge_entries)]


def purge_operations(
    routes: Iterable[OpenAPIRoute], instance: str, what: str = "A stored URL (path and query)"
) -> dict[OpenAPIRoute, OperationExtension]:
    """The description of ``instance``'s purge route among ``routes`` (none if not served);
    ``what`` says what a key is (crypto's are CoinGecko's paths)."""
    path = f"/_gateway/plugins/{instance}{ENTRIES}"
    return {
        route: OperationExtension(
            parameters=[
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^/"},
                    "description": text,
                }
                for name, text in (
                    ("key", f"{what}: dropped with every variant."),
                    ("prefix", "Every stored key starting with this path is dropped."),
                )
            ],
            responses={
                "200": {
                    "description": "How many stored entries were dropped.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "purged": {"type": "integer"},
                                    "key": {"type": "string"},
                                    "prefix": {"type": "string"},
                                },
                                "required": ["purged"],
                            }
                        }
                    },
                },
                "400": problem_response("Neither or both of key and prefix, or no path."),
            },
        )
        for route in routes
        if route.path == path and route.method == "DELETE"
    }
