"""RFC 9457 problem details: the one error type and the one renderer of the gateway.

Handlers raise :class:`ProblemError` (or let aiohttp raise its ``HTTPException``s); the root
middleware hands every error, including an unhandled exception inside a plugin, to
:func:`answer_error`, which answers ``application/problem+json``. The client never sees a
traceback.
"""

import asyncio
import inspect
import logging
from collections.abc import Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.aiohttp_seam import request_state
from gateway.responses import json_response

PROBLEM_CONTENT_TYPE = "application/problem+json"
# The problem type that says nothing more than the status code (RFC 9457 section 4.2.1).
BLANK = "about:blank"

log = logging.getLogger("gateway.errors")

# Headers of an aiohttp HTTPException worth keeping on the problem response.
# The most members of a problem's ``errors`` list sent; the rest are counted in
# ``errors_not_listed``.
MAX_LISTED_ERRORS = 50
# Status recorded (access log, /metrics) for a request whose client disconnected first.
CLIENT_CLOSED = 499
_KEPT_HEADERS = ("Allow", "Retry-After", "Location", "WWW-Authenticate", "ETag")


class ProblemError(Exception):
    """An error answered as problem+json with the given status.

    ``extra`` adds members to the problem object (for example ``errors`` for a 422);
    ``headers`` are sent with the response (for example ``Retry-After``). ``title`` is for a
    problem with a ``type`` of its own: with ``about:blank`` the title is always the status
    phrase (RFC 9457 section 4.2.1), so a more specific title needs a type URI that names it.
    """

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type: str = BLANK,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail
        self.title = title
        self.type = type
        self.headers = dict(headers or {})
        self.extra = extra


# The 400 a WebSocket handshake was refused with before its handler saw it (the handler saw a
# plain GET): what a WebSocket route's 426 is replaced by (gateway/websocket_handshake.py).
UPGRADE_REFUSED = web.RequestKey("gateway.upgrade_refused", ProblemError)


def problem_response(
    request: web.BaseRequest, error: ProblemError, *, instance: bool = True
) -> web.Response:
    """Render ``error`` as an RFC 9457 problem+json response for ``request``.

    ``instance=False`` leaves out ``instance`` (the request's path): for a request that could
    not be parsed, there is no path to name.
    """
    # RFC 9457 section 4.2.1: with about:blank the title is the status phrase, nothing else.
    title = error.title if error.title and error.type != BLANK else _phrase(error.status)
    body: dict[str, Any] = {
        "type": error.type,
        "title": title,
        "status": error.status,
    }
    if error.detail:
        body["detail"] = error.detail
    if instance:
        body["instance"] = request.path
    body.update(error.extra)
    errors = body.get("errors")
    if isinstance(errors, list) and len(errors) > MAX_LISTED_ERRORS:
        # A request with 100,000 bad members must not get a reply 15 times its size.
        body["errors"] = errors[:MAX_LISTED_ERRORS]
        not_listed = body.get("errors_not_listed", 0)
        body["errors_not_listed"] = not_listed + len(errors) - MAX_LISTED_ERRORS
    return json_response(
        body, status=error.status, headers=error.headers, content_type=PROBLEM_CONTENT_TYPE
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _from_http_exception(exc: web.HTTPException) -> ProblemError:
    headers = {name: exc.headers[name] for name in _KEPT_HEADERS if name in exc.headers}
    # aiohttp's default text is just "404: Not Found"; anything else was written for the client.
    detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else None
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        detail = f"{exc.method} is not allowed here; allowed: {allowed}"
    elif exc.status == 404 and detail is None:
        detail = "No route matches this path."
    return ProblemError(exc.status, detail, headers=headers)


def _from_websocket_handshake(request: web.Request, exc: web.HTTPException) -> ProblemError | None:
    """A clear answer for a request that reached a WebSocket route but is no handshake.

    aiohttp's ``WebSocketResponse.prepare`` raises a bare 400 with its own text; a plain GET
    (a browser, curl) gets 426 Upgrade Required saying what the route expects instead.
    """
    if not _raised_in_websocket_module(exc):
        return None
    upgrade = request.headers.get("Upgrade", "").strip().lower() == "websocket"
    connection = "upgrade" in request.headers.get("Connection", "").lower()
    if upgrade and connection:
        return ProblemError(400, f"Invalid WebSocket handshake: {exc.text}")
    return ProblemError(
        426,
        "This is a WebSocket endpoint: connect with a WebSocket client "
        "(GET with Upgrade: websocket and Connection: Upgrade).",
        headers={"Upgrade": "websocket"},
    )


def _raised_in_websocket_module(exc: BaseException) -> bool:
    traceback = exc.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback is not None and traceback.tb_frame.f_code.co_filename == _WS_MODULE


_WS_MODULE = inspect.getfile(web.WebSocketResponse)


async def file_response_problem(request: web.Request) -> ProblemError | None:
    """The problem to answer instead of the ``FileResponse`` an ``add_static`` route gave
    ``request`` when its file cannot be served.

    aiohttp's ``add_static`` hands back a ``FileResponse`` for a missing file, which only
    finds out while sending and then answers an empty ``application/octet-stream`` 404. The
    root middleware asks first (one ``stat`` in a thread, for static files only), so every
    plugin's static 404 is problem+json. The file is found through public API: the static
    resource's ``directory`` and the matched ``filename`` (a ``FileResponse`` a handler made
    itself is its handler's business, answered as aiohttp answers it).
    """
    resource = request.match_info.route.resource
    if not isinstance(resource, web.StaticResource):
        return None
    path = Path(resource.get_info()["directory"]) / request.match_info.get("filename", "")
    servable = await asyncio.get_running_loop().run_in_executor(None, _servable, path)
    if servable:
        return None
    return ProblemError(404, "No file matches this path.")


def _servable(path: Path) -> bool:
    # aiohttp also serves a pre-compressed sibling when the client accepts it.
    return any(
        p.is_file()
        for p in (path, path.with_name(path.name + ".gz"), path.with_name(path.name + ".br"))
    )


def answer_error(request: web.Request, exc: Exception) -> web.Response:
    """The problem+json answer to ``exc`` raised while handling ``request``.

    Re-raises what is not an error: redirects, 304s, and responses a plugin already rendered
    as problem+json. Anything unexpected is logged with its traceback and answered 500.
    """
    if isinstance(exc, ProblemError):
        return problem_response(request, _refused_upgrade(request, exc))
    if isinstance(exc, web.HTTPException):
        if exc.status < 400 or exc.content_type == PROBLEM_CONTENT_TYPE:
            raise exc
        problem = _from_websocket_handshake(request, exc) or _from_http_exception(exc)
        return problem_response(request, _refused_upgrade(request, problem))
    if isinstance(exc, ConnectionError) and client_gone(request):
        # The client hung up (half-way through its body, say): nobody gets this answer, and
        # it is not the server's failure. 499 is nginx's "client closed request", so the
        # access log and /metrics tell it apart from a 500.
        log.info("client closed the connection during %s %s", request.method, request.path)
        return web.Response(status=CLIENT_CLOSED)
    log.error("unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return problem_response(
        request, ProblemError(500, "The server failed to handle this request; see its log.")
    )


def _refused_upgrade(request: web.Request, problem: ProblemError) -> ProblemError:
    """``problem``, or, for a WebSocket route's 426 to a handshake the gateway refused (and
    so handed on as a plain GET), the 400 saying why it was refused."""
    if problem.status == 426:
        refused = request_state(request).get(UPGRADE_REFUSED)
        if refused is not None:
            return refused  # type: ignore[no-any-return]
    return problem


def client_gone(request: web.BaseRequest) -> bool:
    """Whether the client's connection is already closed."""
    transport = request.transport
    return transport is None or transport.is_closing()
