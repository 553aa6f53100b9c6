"""X-Request-ID: kept when the client sends a sane one, generated otherwise, echoed, logged."""

import re
import uuid
from contextvars import ContextVar
from typing import Any

from aiohttp import web

from gateway.keys import REQUEST_ID

HEADER = "X-Request-ID"
# Long enough for UUIDs and trace ids, short and plain enough to be safe in logs and headers.
_SANE = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")


def choose_request_id(sent: str | None) -> str:
    """The client's id when it is sane, else a new one."""
    if sent and _SANE.match(sent):
        return sent
    return uuid.uuid4().hex


@web.middleware
async def request_id_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    request_id = choose_request_id(request.headers.get(HEADER))
    request[REQUEST_ID] = request_id
    current_request_id.set(request_id)
    return await handler(request)


async def echo_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every response, streamed or not, carries the request's id."""
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        response.headers[HEADER] = request_id
