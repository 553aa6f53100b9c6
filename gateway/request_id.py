"""X-Request-ID: kept when the client sends a sane one, generated otherwise, echoed, logged."""

import itertools
import os
import re
from contextvars import ContextVar

from aiohttp import hdrs, web
from multidict import istr

from gateway.aiohttp_seam import request_state
from gateway.keys import REQUEST_ID
from gateway.responses import SERVER

# An istr: header lookups with it skip case-folding the name on every request.
HEADER = istr("X-Request-ID")
# Long enough for UUIDs and trace ids, short and plain enough to be safe in logs and headers.
_SANE = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")


class _IdSource:
    """32 hex digits: a random per-process prefix (16 digits) and a counter (16 digits).

    Unique across processes and restarts without uuid4's urandom call on every request,
    which alone cost ~2 µs, a noticeable share of a fast request; one addition and ``hex()``
    cost half of formatting the two parts.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        # The top bit set, so the number always has 32 hex digits.
        prefix = int.from_bytes(os.urandom(8)) | (1 << 63)
        self._counter = itertools.count(prefix << 64)

    def next(self) -> str:
        return hex(next(self._counter))[2:]


_ids = _IdSource()
os.register_at_fork(after_in_child=_ids.reset)  # forked workers must not repeat ids


def choose_request_id(sent: str | None) -> str:
    """The client's id when it is sane, else a new one."""
    if sent and _SANE.match(sent):
        return sent
    return _ids.next()


def request_id_of(request: web.BaseRequest) -> str:
    """The id of ``request``: the client's ``X-Request-ID`` when it sent a sane one, else one
    the gateway made; on the answer as ``X-Request-ID`` and in the request's log lines.
    ``"-"`` for a request answered before the gateway saw it (one the HTTP parser refused)."""
    return request_state(request).get(REQUEST_ID) or "-"  # type: ignore[no-any-return]


def copy_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Put the request's id and ``Server`` on a response the handler prepares itself.

    Not needed any more: the host puts both on every answer as it is prepared
    (gateway/response_fields.py), a streamed one or a WebSocket's handshake included. Kept, and
    harmless, for the plugins that call it before ``prepare()``.
    """
    request_id = request_id_of(request)
    if request_id != "-":
        response.headers[HEADER] = request_id
    response.headers[hdrs.SERVER] = SERVER


def stamp(response: web.StreamResponse, request_id: str) -> None:
    """The gateway's own headers on an answer: its request id and ``Server``.

    For answers given before routing (the parser's refusals, a failed ``Expect``): every
    routed answer gets the same two from ``response_fields.prepare_answer``, inline."""
    headers = response.headers  # a Python property: asked once
    headers[HEADER] = request_id
    headers[hdrs.SERVER] = SERVER
