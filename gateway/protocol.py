"""The HTTP connection layer under the root application: what happens before any middleware.

aiohttp answers what its HTTP parser refuses (an unknown method, a request line or header over
8190 bytes, too many headers, conflicting ``Content-Length``/``Transfer-Encoding``, bad
chunking, bytes not allowed in the path, no ``Host`` on HTTP/1.1) in
``web_protocol.RequestHandler.handle_error``, and an ``Expect`` it does not know before the
middlewares run: text/plain that echoes the request, no ``X-Request-ID``, a traceback in the
log, nothing in ``/metrics``. There is no public hook for either, so the gateway serves through
its own :class:`GatewayRunner`, whose connections are :class:`GatewayRequestHandler`\\ s (a
subclass of aiohttp's, private API: tests/hostile pins every case over a raw socket):

- parser errors answer problem+json (414 for a long request line, 431 for long or too many
  headers, else 400) with a fixed detail that never echoes the request, an ``X-Request-ID``,
  one log line without a traceback, and a count in ``/metrics`` (route ``unparsed``);
- an ``Expect`` other than ``100-continue`` is a problem+json 417 (gateway/dispatch.py);
- one peer may hold at most ``[gateway] max_connections_per_peer`` connections (a peer in
  ``[gateway] trusted_proxies`` is not limited: it carries many clients); one more is
  answered 429 and closed at once, so a client opening thousands of idle connections cannot
  use up the process's file descriptors;
- the event loop's "socket.accept() out of system resource" (EMFILE and the like), reported
  on every retry, is logged once per :data:`LOG_INTERVAL` with how many were suppressed.

``gateway serve`` (one process) and every gunicorn worker use this runner.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, cast

import orjson
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.web_protocol import _ErrInfo

from gateway.dispatch import dispatcher
from gateway.errors import (
    PROBLEM_CONTENT_TYPE,
    ProblemError,
    client_gone,
    problem_response,
)
from gateway.keys import CONFIG
from gateway.metrics import observe_safely, observe_unparsed
from gateway.proxies import TrustedProxies
from gateway.request_id import HEADER, choose_request_id, current_request_id, stamp
from gateway.responses import SERVER

log = logging.getLogger("gateway.protocol")

# Seconds between two log lines about the same exhausted resource or refused peer.
LOG_INTERVAL = 60.0
# Packets up to this size are searched for an Upgrade header (see data_received); larger
# ones are bodies or long pipelines, where a search would cost more than the parse.
_SEARCHED = 16384
# Pieces one packet is fed in at most, so a packet of many empty lines cannot make the loop
# call the parser thousands of times.
_MAX_PIECES = 64
# The pure-Python parser reports a long request line with the method in front.
_REQUEST_LINE = re.compile(rb"^[A-Z]+ ")


class OncePer:
    """Lets one log line through per ``interval`` seconds and counts the ones held back."""

    def __init__(self, interval: float = LOG_INTERVAL) -> None:
        self.interval = interval
        self._last = -interval
        self.suppressed = 0

    def ready(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.interval:
            self.suppressed += 1
            return False
        self._last = now
        return True

    def take_suppressed(self) -> int:
        count, self.suppressed = self.suppressed, 0
        return count


def parser_problem(status: int, exc: BaseException | None) -> ProblemError:
    """The problem for what aiohttp's parser refused (``status`` is the one aiohttp chose).

    The detail is fixed per kind: it never repeats the client's bytes.
    """
    message = exc.message if isinstance(exc, HttpProcessingError) else ""
    if isinstance(exc, LineTooLong):
        line = exc.args[0] if exc.args else b""
        # The C parser reports the request target (accumulated in a bytearray), the Python
        # parser the whole request line; a header's name or value is neither.
        if isinstance(line, bytearray) or (isinstance(line, bytes) and _REQUEST_LINE.match(line)):
            return ProblemError(414, "The request line is longer than this server accepts.")
        return ProblemError(431, "A header line is longer than this server accepts.")
    if "Too many headers" in message:
        return ProblemError(431, "The request has more headers than this server accepts.")
    if "Host" in message:
        return ProblemError(400, "An HTTP/1.1 request must have exactly one Host header.")
    if "Transfer-Encoding" in message or "Content-Length" in message:
        return ProblemError(
            400, "The body's framing (Content-Length, Transfer-Encoding) is invalid or ambiguous."
        )
    if "header value char" in message or "header token" in message or "header name" in message:
        return ProblemError(
            400, "A header has a byte HTTP does not allow there (a control character such as NUL)."
        )
    if "chunk" in message.lower():
        return ProblemError(400, "The chunked body is malformed.")
    if "method" in message.lower():
        return ProblemError(400, "The request method is not one this server understands.")
    if "url" in message.lower() or "path" in message.lower() or "target" in message.lower():
        return ProblemError(400, "The request target has bytes that are not allowed in a URL.")
    return ProblemError(status if 400 <= status < 500 else 400, "The request is not valid HTTP.")


_aiohttp_data_received = web.RequestHandler.data_received


class GatewayRequestHandler(web.RequestHandler):
    """One client connection: aiohttp's, with the gateway's answers to what it refuses."""

    def __init__(self, manager: GatewayServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._gateway = manager
        self._counted_peer: str | None = None
        # See _receive_around_upgrade.
        self._around_upgrade = False
        self._upgrade_body_left = 0

    @property
    def requests_read(self) -> int:
        """Requests read on this connection so far (aiohttp counts them as it parses): a
        drain waits for a connection's first one before closing it (gateway/drain.py)."""
        return self._request_count

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else None
        if host is None:
            return
        if not self._gateway.admit(host):
            self._refuse_connection(transport)
            return
        self._counted_peer = host

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._counted_peer is not None:
            self._gateway.release(self._counted_peer)
            self._counted_peer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Runs for every request. Only a packet naming an upgrade (or one continuing such a
        # request) takes the careful path below: every other packet pays one substring
        # search, and a large one (a body, most likely) none; aiohttp's method is called
        # directly, and a message is looked at only if it asks to upgrade (bench/README.md).
        messages = self._messages
        queued = len(messages)
        if data and (self._around_upgrade or (len(data) <= _SEARCHED and b"pgrade" in data)):
            self._receive_around_upgrade(data)
        else:
            _aiohttp_data_received(self, data)
            if len(messages) == queued:
                return
            for index in range(queued, len(messages)):
                if getattr(messages[index][0], "upgrade", False):  # an _ErrInfo has none
                    self._close_after_foreign_upgrade(index)
        # A parse error in the body of the request being handled (a bad chunk arriving late)
        # fails that body, and is also queued as if it were a next request. The handler
        # answers it (gateway/bodies.py: 400); aiohttp would then read ("linger on") the
        # failed body and log its exception with a traceback, so it must not.
        request = self._current_request
        if request is None or len(messages) <= queued:
            return
        if isinstance(messages[-1][0], _ErrInfo):
            if request.content.exception() is None:
                request.content.set_exception(BadHttpMessage("malformed request body"))
            self._lingering_time = 0.0

    # aiohttp's C parser (llhttp) stops at the end of a request asking to upgrade to
    # anything but websocket (h2c, say), and aiohttp's wrapper then drops the rest of the
    # bytes it was given: a request pipelined behind it in the same packet would never be
    # answered. The server ignores an upgrade it does not support (RFC 9110 section 7.8),
    # so that rest must be parsed as the next request. llhttp itself resumes cleanly after
    # such a stop; what is lost is only the remainder of that one feed. So a packet that may
    # complete such a request is fed in pieces that end wherever it can complete: after each
    # CRLF CRLF (the end of a header block, or of a chunked body), after each of the first
    # CR/LF bytes of the packet (a header block ending across two packets), and at the end
    # of the Content-Length body of a pending one. Splitting is invisible to a streaming
    # parser otherwise. Where that cannot be guaranteed (the pipeline queue is full and the
    # parser holds bytes back, a chunked upgrade body, "Upgrade" spelt in capitals or in
    # mixed case, a packet over _SEARCHED bytes or of more than _MAX_PIECES), the answer
    # closes the connection instead, which tells the client to send the rest again on a new
    # one (RFC 9112 section 9.3.2) rather than wait for ever.

    def _receive_around_upgrade(self, data: bytes) -> None:
        offset, size = 0, len(data)
        at_boundary = True
        pieces = 0
        while offset < size:
            if pieces >= _MAX_PIECES and not self._upgrade_body_left:
                break  # (a pending upgrade body still gets its end: it is one piece)
            pieces += 1
            if self._force_close or self._close:
                return
            if self._upgraded or self._payload_parser is not None or self._buffer_paused:
                # Accepted websocket (the rest is its tail) or a parser holding bytes back.
                break
            end, at_boundary = self._piece_end(data, offset)
            before = len(self._messages)
            left = self._upgrade_body_left
            super().data_received(data[offset:end])
            if left:
                self._upgrade_body_left = left - (end - offset)
            offset = end
            for index in range(before, len(self._messages)):
                if self._buffer_paused:
                    self._close_after_foreign_upgrade(index)
                else:
                    self._follow_foreign_upgrade(index)
            if len(self._messages) > before and isinstance(self._messages[-1][0], _ErrInfo):
                self._around_upgrade = False
                return  # the parser refused the stream: its 400 closes the connection
        if offset < size:
            self._feed_plainly(data[offset:])
            self._around_upgrade = False
            return
        self._around_upgrade = self._upgrade_body_left > 0 or not at_boundary

    def _feed_plainly(self, data: bytes) -> None:
        before = len(self._messages)
        super().data_received(data)
        for index in range(before, len(self._messages)):
            self._close_after_foreign_upgrade(index)

    def _piece_end(self, data: bytes, offset: int) -> tuple[int, bool]:
        """Where the piece of ``data`` from ``offset`` ends, and whether that is a point
        where a request can end (else it is the end of ``data``)."""
        if self._upgrade_body_left:  # inside that body only its end matters
            end = offset + self._upgrade_body_left
            return (end, True) if end <= len(data) else (len(data), False)
        if offset < 3 and data[offset] in b"\r\n" and data[:offset].strip(b"\r\n") == b"":
            return offset + 1, True
        found = data.find(b"\r\n\r\n", max(offset - 3, 0))
        end = found + 4 if found >= 0 else len(data) + 1
        if end > len(data):
            return len(data), False
        return end, True

    def _follow_foreign_upgrade(self, index: int) -> None:
        message, _ = self._messages[index]
        if not self._is_foreign_upgrade(message):
            return
        if message.chunked:
            self._close_after_foreign_upgrade(index)
            return
        self._upgrade_body_left = int(message.headers.get("Content-Length") or 0)

    @staticmethod
    def _is_foreign_upgrade(message: Any) -> bool:
        if isinstance(message, _ErrInfo) or not message.upgrade or message.should_close:
            return False
        return message.headers.get("Upgrade", "").strip().lower() != "websocket"

    def _close_after_foreign_upgrade(self, index: int) -> None:
        message, payload = self._messages[index]
        if self._is_foreign_upgrade(message):
            self._messages[index] = (message._replace(should_close=True), payload)

    def _refuse_connection(self, transport: asyncio.BaseTransport) -> None:
        limit = self._gateway.max_connections_per_peer
        body = orjson.dumps(
            {
                "type": "about:blank",
                "title": "Too Many Requests",
                "status": 429,
                "detail": f"This client already holds {limit} connections; close one first.",
            }
        )
        head = (
            "HTTP/1.1 429 Too Many Requests\r\n"
            f"Content-Type: {PROBLEM_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"{HEADER}: {choose_request_id(None)}\r\n"
            f"Server: {SERVER}\r\n"
            "Retry-After: 1\r\n"
            "Connection: close\r\n\r\n"
        )
        # uvloop's transports are not registered as asyncio.WriteTransport, so no isinstance.
        cast(asyncio.WriteTransport, transport).write(head.encode("ascii") + body)
        self.force_close()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp's: too late for another answer
            raise ConnectionError("the response was already started")
        if isinstance(exc, ConnectionError) and client_gone(request):
            log.info("client closed the connection before the answer")
            return web.Response(status=499)
        request_id = choose_request_id(None)
        if status >= 500 or not isinstance(exc, HttpProcessingError | None):
            # A failure outside the root middleware (it answers everything inside it).
            log.error("unhandled error answering %s", request.remote, exc_info=exc)
            problem = ProblemError(500, "The server failed to handle this request; see its log.")
        else:
            problem = parser_problem(status, exc)
            current_request_id.set(request_id)
            why = (exc.message if isinstance(exc, HttpProcessingError) else "") or str(status)
            log.info(
                "refused a malformed request from %s with %d: %.200r",
                request.remote,
                problem.status,
                why,
            )
        response = problem_response(request, problem, instance=False)
        stamp(response, request_id)
        response.force_close()
        self._gateway.count_unparsed(problem.status)
        return response


class GatewayServer(web.Server):
    """aiohttp's low-level server making :class:`GatewayRequestHandler` connections."""

    def __init__(
        self,
        handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
        *,
        measure: bool = False,
        max_connections_per_peer: int = 0,
        trusted: TrustedProxies | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self.measure = measure
        self.max_connections_per_peer = max_connections_per_peer
        # A trusted proxy carries many clients' connections: it is not limited as one peer.
        self._trusted = trusted or TrustedProxies([])
        self._per_peer: Counter[str] = Counter()
        self._refusals = OncePer()

    def __call__(self) -> GatewayRequestHandler:
        return GatewayRequestHandler(self, loop=self._loop, **self._kwargs)

    def admit(self, peer: str) -> bool:
        """Count one more connection of ``peer``, unless it already holds the most allowed."""
        limit = self.max_connections_per_peer
        if not limit or self._trusted.trusts(peer):
            return True
        if self._per_peer[peer] >= limit:
            if self._refusals.ready():
                log.warning(
                    "refusing connections from %s: it holds %d, the most allowed "
                    "([gateway] max_connections_per_peer); %d more refusals not logged",
                    peer,
                    limit,
                    self._refusals.take_suppressed(),
                )
            return False
        self._per_peer[peer] += 1
        return True

    def release(self, peer: str) -> None:
        if peer not in self._per_peer:
            return  # not counted (no limit, or a trusted proxy)
        self._per_peer[peer] -= 1
        if self._per_peer[peer] <= 0:
            del self._per_peer[peer]

    def count_unparsed(self, status: int) -> None:
        if self.measure:
            try:
                observe_unparsed(status)
            except Exception:  # metrics must never cost a client its answer
                log.exception("could not record metrics for a malformed request")


class GatewayRunner(web.AppRunner):
    """``web.AppRunner`` serving through :class:`GatewayServer`."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        settings = self.app[CONFIG].gateway
        kwargs = dict(server._kwargs)
        return GatewayServer(
            # gateway/dispatch.py: the root's routing and middleware, without aiohttp's
            # per-application layers (the app is frozen by now).
            dispatcher(self.app, observe_safely if settings.metrics else None),
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=server._loop,
            measure=settings.metrics,
            max_connections_per_peer=settings.max_connections_per_peer,
            trusted=TrustedProxies(settings.trusted_proxies),
            **kwargs,
        )

    async def setup(self) -> None:
        install_resource_log(asyncio.get_running_loop())
        await super().setup()


def install_resource_log(loop: asyncio.AbstractEventLoop) -> None:
    """Log the loop's "out of system resource" reports (EMFILE on accept, ...) once per
    :data:`LOG_INTERVAL`, without a traceback; anything else goes to the previous handler."""
    previous = loop.get_exception_handler()
    gate = OncePer()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if "out of system resource" not in str(context.get("message", "")):
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        if gate.ready():
            log.error(
                "%s: %s (%d more like it not logged); raise the file limit (ulimit -n) or "
                "lower [gateway] max_connections_per_peer",
                context["message"],
                context.get("exception"),
                gate.take_suppressed(),
            )

    loop.set_exception_handler(handle)
