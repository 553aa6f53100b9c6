"""Fields the host puts on a request's answer when it is prepared, whoever prepares it.

A plugin middleware that decorates answers (CORS's ``Access-Control-Allow-Origin``,
ratelimit's ``RateLimit``) adds its fields to :func:`response_fields` before it calls the
handler, rather than setting them on the response the handler returns: a handler that streams
(``await response.prepare(request)``, then writes: a download, server-sent events, a
WebSocket) has sent its headers before any middleware sees its response. The host copies the
fields onto the answer as it is prepared (aiohttp's ``on_response_prepare`` signal): an answer
built in memory, one the handler prepared itself, an error answered as problem+json, a
redirect and a 304 alike.

A middleware that must change an answer as it is prepared, whoever prepares it (the compress
plugin encodes a streamed body), registers a callback with :func:`on_prepare`: it runs after
the fields are put on, with the answer's headers still open to change.

The root application's one receiver (:func:`prepare_answer`, registered in gateway/app.py)
also puts the host's own fields on every answer prepared after routing: ``X-Request-ID`` and
``Server``. So a handler that streams needs no call of its own for them, and one receiver
serves both: a second would cost every request its own coroutine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from multidict import CIMultiDict

from gateway.aiohttp_seam import request_state
from gateway.keys import REQUEST_ID
from gateway.request_id import HEADER
from gateway.responses import SERVER

RESPONSE_FIELDS = web.RequestKey("gateway.response_fields", CIMultiDict[str])

#: Called as ``await callback(request, response)`` when ``response`` is prepared.
PrepareCallback = Callable[[web.BaseRequest, web.StreamResponse], Awaitable[None]]
PREPARE_CALLBACKS = web.RequestKey("gateway.prepare_callbacks", list[PrepareCallback])


def response_fields(request: web.BaseRequest) -> CIMultiDict[str]:
    """The fields the host puts on ``request``'s answer when it is prepared; add to it.

    A field already on the answer is replaced by the one given here (all its values), except
    ``Vary``, whose values are added to the answer's own (each once). The same multidict is
    returned for the request and every clone a middleware makes of it.

    Raises ``RuntimeError`` for a request no plugin middleware applies to, or only ones that
    declare ``Middleware(adds_fields=False)``: nothing would put the fields on its answer
    there (a handler sets its own response's headers).
    """
    fields = request_state(request).get(RESPONSE_FIELDS)
    if fields is None:
        raise RuntimeError(
            "response_fields() is for plugin middlewares: no plugin middleware that adds "
            f"fields (Middleware.adds_fields) applies to {request.path}, so nothing would put "
            "these fields on its answer"
        )
    return fields  # type: ignore[no-any-return]


def on_prepare(request: web.BaseRequest, callback: PrepareCallback) -> None:
    """Call ``await callback(request, response)`` when ``request``'s answer is prepared.

    For plugin middlewares, before they call the handler: whoever prepares the answer (the
    handler itself to stream it, the host for one built in memory, an error answer), the
    callback sees it after the :func:`response_fields` are on it and before its headers are
    sent, so it may still change them and wrap the response's public ``write`` and
    ``write_eof``. Callbacks run in the order they were registered (outer middlewares first).
    One that raises fails the answer: where the handler prepares it, the error is answered as
    a handler's would be (a 500); for an answer built in memory it comes after every
    middleware, so aiohttp logs it and closes the connection. The request and its clones
    (the host's, behind trusted proxies, and any made afterwards) share the callbacks.

    Raises ``RuntimeError`` where no plugin middleware applies, as :func:`response_fields`.
    """
    state = request_state(request)
    if state.get(RESPONSE_FIELDS) is None:
        raise RuntimeError(
            "on_prepare() is for plugin middlewares: no plugin middleware that adds fields "
            f"(Middleware.adds_fields) applies to {request.path}, so nothing would call it"
        )
    callbacks = state.get(PREPARE_CALLBACKS)
    if callbacks is None:
        state[PREPARE_CALLBACKS] = [callback]
    else:
        callbacks.append(callback)


async def prepare_answer(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """The root's ``on_response_prepare`` receiver, for every answer prepared after routing:
    the request's id and ``Server``, then ``request``'s fields, then the :func:`on_prepare`
    callbacks."""
    state = request_state(request)
    headers = response.headers  # a Python property: asked once
    # request_id.stamp's two fields, without its call: this runs for every routed answer.
    request_id = state.get(REQUEST_ID)
    if request_id is not None:  # None only where the root middleware never ran
        headers[HEADER] = request_id
    headers[hdrs.SERVER] = SERVER
    fields = state.get(RESPONSE_FIELDS)
    if fields:
        if hdrs.VARY in fields:
            _put_fields(fields, response)
        else:  # the usual case, _put_fields' own, without its call
            headers.update(fields)
    callbacks = state.get(PREPARE_CALLBACKS)
    if callbacks:
        for callback in callbacks:
            await callback(request, response)


def _put_fields(fields: CIMultiDict[str], response: web.StreamResponse) -> None:
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
