"""``Expect: 100-continue``: the body asked for only once the request has been let through.

aiohttp answers ``100 Continue`` as soon as a request is routed, before any middleware: a
client was invited to upload its body before auth refused it with 401, and a 50 MB
``Content-Length`` before the size limit refused it with 413 (issue 34). Here the dispatcher
(gateway/dispatch.py) only notes that a continue is owed; then:

- after every plugin middleware has let the request through, just before its handler, the
  route's own ``expect_handler`` (aiohttp's public route API) runs: aiohttp's default sends
  ``100 Continue`` there, so a plugin route that reads its body any way still gets it, after
  auth and rate limits;
- a route added with ``expect_handler=gateway.continue_when_read`` leaves it to
  :func:`send_continue`, which ``gateway.read_body`` calls once the body's declared size and
  coding passed and the proxy plugin calls before streaming: a 413 then goes out alone;
- an answer given while the continue is still owed (a refusal) closes the connection, as
  RFC 9110 section 10.1.1 asks of a server that will not read the body it did not ask for.

A ``100-continue`` in an HTTP/1.0 request is ignored (RFC 9110 section 10.1.1). Under
``GATEWAY_PUBLIC_API=1`` aiohttp's own handling calls the route's expect handler before the
middlewares: routes with :func:`continue_when_read` still wait for the read, others get
aiohttp's early ``100 Continue``.
"""

from __future__ import annotations

from aiohttp import HttpVersion11, hdrs, web

from gateway.aiohttp_seam import request_state

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class OwedContinue:
    """Whether a request's ``100 Continue`` is still owed; shared by the request's clones."""

    __slots__ = ("deferred", "sent")

    def __init__(self) -> None:
        self.sent = False
        self.deferred = False


OWED = web.RequestKey("gateway.continue_owed", OwedContinue)


def expects_continue(value: str) -> bool:
    return value.strip().lower() == "100-continue"


def owe_continue(request: web.BaseRequest) -> None:
    """Note that ``request`` (with ``Expect: 100-continue``) is owed a ``100 Continue``."""
    if request.version >= HttpVersion11:
        request_state(request)[OWED] = OwedContinue()


def owed(request: web.BaseRequest) -> OwedContinue | None:
    """The request's owed continue, unless it was sent (or none was ever owed)."""
    state = request_state(request).get(OWED)
    return state if state is not None and not state.sent else None


async def before_handler(request: web.Request) -> None:
    """The request has passed every middleware: run its route's expect handler (aiohttp's
    default sends ``100 Continue``; :func:`continue_when_read` waits for the read)."""
    state = owed(request)
    if state is None or request.match_info.http_exception is not None:
        return  # a 404 or 405 asks for no body either
    await request.match_info.expect_handler(request)
    if not state.deferred:
        state.sent = True  # the route's handler answered the expectation itself


async def continue_when_read(request: web.Request) -> None:
    """An ``expect_handler`` for routes whose handler reads the body with ``gateway.read_body``
    (or calls :func:`send_continue` before reading): ``100 Continue`` is sent then, after the
    handler's own checks, instead of before the handler runs.

    Called by the gateway after the middlewares; under ``GATEWAY_PUBLIC_API=1`` by aiohttp
    before them, with any ``Expect`` (another expectation is a 417, as aiohttp's own)."""
    expect = request.headers.get(hdrs.EXPECT, "")
    if request.version < HttpVersion11:
        return
    if not expects_continue(expect):
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {expect}")
    shared = request_state(request)
    state = shared.get(OWED)
    if state is None:
        state = shared[OWED] = OwedContinue()
    state.deferred = True


async def send_continue(request: web.Request) -> None:
    """Send the ``100 Continue`` a request is owed (once; nothing if none is owed). Call it
    right before reading a body that passed its checks; ``gateway.read_body`` does."""
    state = owed(request)
    if state is not None:
        state.sent = True
        await request.writer.write(CONTINUE)


def refused_unread(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """Close the connection after an answer given while the continue is still owed: the
    client was never asked for its body, and may or may not send it."""
    if owed(request) is not None and not response.prepared:
        response.force_close()
