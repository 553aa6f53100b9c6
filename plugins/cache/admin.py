"""The purge endpoint, served under ``/_gateway/plugins/<instance>/`` (gateway.ADMIN_ROUTES):
wherever /_gateway is protected (auth's default rule: the ``admin`` scope), so is this."""

from __future__ import annotations

from aiohttp import web

from gateway import HttpCache, ProblemError, json_response


def purge_routes(cache: HttpCache) -> list[web.RouteDef]:
    async def purge(request: web.Request) -> web.Response:
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
        purged = await cache.purge(key=key, prefix=prefix)
        body = (
            {"purged": purged, "key": key}
            if key is not None
            else {"purged": purged, "prefix": prefix}
        )
        return json_response(body, headers={"Cache-Control": "no-store"})

    return [web.delete("/entries", purge)]
