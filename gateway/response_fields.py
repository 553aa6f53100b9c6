"""Fields the host puts on a request's answer when it is prepared, whoever prepares it.

A plugin middleware that decorates answers (CORS's ``Access-Control-Allow-Origin``,
ratelimit's ``RateLimit``) adds its fields to :func:`response_fields` before it calls the
handler, rather than setting them on the response the handler returns: a handler that streams
(``await response.prepare(request)``, then writes: a download, server-sent events, a
WebSocket) has sent its headers before any middleware sees its response. The host copies the
fields onto the answer as it is prepared (aiohttp's ``on_response_prepare`` signal): an answer
built in memory, one the handler prepared itself, an error answered as problem+json, a
redirect and a 304 alike.

The signal is registered (gateway/app.py) only on the applications where a plugin middleware
chain applies, so the answers of a scope without plugin middlewares pay nothing for it.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from multidict import CIMultiDict

from gateway.aiohttp_seam import request_state

RESPONSE_FIELDS = web.RequestKey("gateway.response_fields", CIMultiDict[str])


def response_fields(request: web.BaseRequest) -> CIMultiDict[str]:
    """The fields the host puts on ``request``'s answer when it is prepared; add to it.

    A field already on the answer is replaced by the one given here (all its values), except
    ``Vary``, whose values are added to the answer's own (each once). The same multidict is
    returned for the request and every clone a middleware makes of it.

    Raises ``RuntimeError`` for a request no plugin middleware applies to: nothing would put
    the fields on its answer there (a handler sets its own response's headers).
    """
    fields = request_state(request).get(RESPONSE_FIELDS)
    if fields is None:
        raise RuntimeError(
            "response_fields() is for plugin middlewares: no plugin middleware applies to "
            f"{request.path}, so nothing would put these fields on its answer"
        )
    return fields  # type: ignore[no-any-return]


async def put_response_fields(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """The ``on_response_prepare`` receiver: ``request``'s fields onto ``response``."""
    fields = request_state(request).get(RESPONSE_FIELDS)
    if not fields:
        return
    headers = response.headers
    if hdrs.VARY in fields:
        fields = fields.copy()
        wanted = fields.popall(hdrs.VARY)
        present = {
            token.strip().lower()
            for value in headers.getall(hdrs.VARY, ())
            for token in value.split(",")
        }
        missing = [
            token
            for value in wanted
            for token in (part.strip() for part in value.split(","))
            if token and token.lower() not in present
        ]
        if missing and "*" not in present:
            headers.add(hdrs.VARY, ", ".join(missing))
    headers.update(fields)
