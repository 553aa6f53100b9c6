"""The HTTP connection layer under the root application: what happens before any middleware.

aiohttp answers what its HTTP parser refuses (an unknown method, a request line or header over
8190 bytes, too many headers, conflicting ``Content-Length``/``Transfer-Encoding``, bad
chunking, bytes not allowed in the path, no ``Host`` on HTTP/1.1) in
``web_protocol.RequestHandler.handle_error``, and an ``Expect`` it does not know before the
middlewares run: text/plain that echoes the request, no ``X-Request-ID``, a traceback in the
log, nothing in ``/metrics``. So the gateway serves through its own :class:`ProtocolRunner`,
whose connections are :class:`GatewayRequestHandler`\\ s (aiohttp's ``RequestHandler`` with
its public ``handle_error`` and protocol methods overridden; tests/hostile pins every case
over a raw socket):

- parser errors answer problem+json (414 for a long request line, 431 for long or too many
  headers, else 400) with a fixed detail that never echoes the request, an HTTP/1.1 status
  line (aiohttp's stand-in message says HTTP/1.0), an ``X-Request-ID`` that is a UUID and the
  problem's ``instance`` as ``urn:uuid:<id>``, one log line without a traceback or any byte
  of the request, and a count in ``/metrics`` (route ``unparsed``);
- a WebSocket handshake sent as HTTP/1.0, not a GET, or for a version other than 13 reaches
  its handler as a plain GET (gateway/websocket_handshake.py), and every WebSocket's reader
  checks that client frames are masked (:meth:`GatewayRequestHandler.set_parser`,
  gateway/websocket_frames.py);
- an ``Expect`` other than ``100-continue`` is a problem+json 417 (gateway/dispatch.py);
- a request asking to upgrade to anything but websocket is answered with ``Connection:
  close`` (see :meth:`ConnectionServer.make_request`);
- one peer may hold at most ``[gateway] max_connections_per_peer`` connections (a peer in
  ``[gateway] trusted_proxies`` is not limited: it carries many clients); one more is
  answered 429 and closed at once, so a client opening thousands of idle connections cannot
  use up the process's file descriptors;
- the event loop's "socket.accept() out of system resource" (EMFILE and the like), reported
  on every retry, is logged once per :data:`LOG_INTERVAL` with how many were suppressed.

``gateway serve`` (one process), every gunicorn worker and the testing kit use this runner
(through gateway/drain.py's :class:`~gateway.drain.DrainingRunner`). It reads no private name
of aiohttp's; gateway/aiohttp_seam.py says what one more would buy and why it was dropped: a
malformed chunk arriving while a handler reads its body is found out at ``[gateway]
body_timeout`` (a 408, gateway/bodies.py), since aiohttp queues that parse error as if it were
the next request rather than failing the body being read.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, cast

import orjson
from aiohttp import HttpVersion11, hdrs, web
from aiohttp.http_exceptions import (
    HttpProcessingError,
    InvalidHeader,
    LineTooLong,
)
from aiohttp.web_protocol import ERROR as UNPARSED

from gateway.admin_listener import split_listeners
from gateway.aiohttp_seam import request_state
from gateway.bodies import HANDLER_ARGS
from gateway.config import GatewaySettings
from gateway.dispatch import Served, dispatcher
from gateway.errors import (
    PROBLEM_CONTENT_TYPE,
    UPGRADE_REFUSED,
    ProblemError,
    client_gone,
    problem_response,
)
from gateway.keys import CONFIG
from gateway.metrics import observe_safely, observe_unparsed
from gateway.proxies import TrustedProxies, address_bucket
from gateway.request_id import HEADER, current_request_id, stamp
from gateway.responses import SERVER
from gateway.websocket_frames import MaskedFramesOnly, fail_unmasked
from gateway.websocket_handshake import ignore_upgrade, refused_handshake

log = logging.getLogger("gateway.protocol")

# Seconds between two log lines about the same exhausted resource or refused peer.
LOG_INTERVAL = 60.0
# The pure-Python parser reports a long request line with the method in front.
_REQUEST_LINE = re.compile(rb"^[A-Z]+ ")
# What web.Server calls to make a request of a parsed message (its public request_factory).
RequestFactory = Callable[..., web.BaseRequest]


def occurrence_id() -> str:
    """A request id for an answer given before the request was parsed: a UUID, so that the
    problem's ``instance`` can name the occurrence as a URI (:func:`occurrence_uri`)."""
    return str(uuid.uuid4())


def occurrence_uri(request_id: str) -> str:
    """The RFC 9457 ``instance`` of a problem about a request that has no path to name."""
    return f"urn:uuid:{request_id}"


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
    # llhttp's message is a reason, then the refused line quoted after ":\n": only the reason
    # is looked at, so a header's own bytes never choose the answer.
    message = exc.message.split(":\n", 1)[0] if isinstance(exc, HttpProcessingError) else ""
    if isinstance(exc, InvalidHeader):  # the pure-Python parser's, naming the header or line
        if exc.hdr in ("Content-Length", "Transfer-Encoding"):
            message = exc.hdr
        else:
            return ProblemError(
                400,
                "A header line is not valid HTTP (a control byte, a space before the colon, "
                "a bare CR or LF, or a line folded onto the next).",
            )
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
    if "header value char" in message:
        return ProblemError(
            400, "A header has a byte HTTP does not allow there (a control character such as NUL)."
        )
    if "header token" in message or "header name" in message:
        return ProblemError(
            400, "A header name has a byte HTTP does not allow there (a space before the colon?)."
        )
    if "after header value" in message:
        return ProblemError(
            400, "A header line does not end as HTTP requires (CR LF, not folded onto the next)."
        )
    if "chunk" in message.lower():
        return ProblemError(400, "The chunked body is malformed.")
    if "method" in message.lower():
        return ProblemError(400, "The request method is not one this server understands.")
    if "url" in message.lower() or "path" in message.lower() or "target" in message.lower():
        return ProblemError(400, "The request target has bytes that are not allowed in a URL.")
    return ProblemError(status if 400 <= status < 500 else 400, "The request is not valid HTTP.")


class GatewayRequestHandler(web.RequestHandler):
    """One client connection: aiohttp's, with the gateway's answers to what it refuses."""

    def __init__(self, manager: ConnectionServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.connection_server = manager
        self.counted_peer: str | None = None
        # Requests read on this connection so far, counted as each is handed to its handler
        # (ConnectionServer.make_request): a drain waits for a connection's first one before
        # closing it (gateway/drain.py).
        self.requests_read = 0

    def log_access(
        self, request: web.BaseRequest, response: web.StreamResponse, time: float | None
    ) -> None:
        """The access line, by the logger the server uses now (ConnectionServer.use_options)."""
        logger = self.connection_server.access_logger
        if logger is not None and time is not None:
            logger.log(request, response, self.connection_server.event_loop.time() - time)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else None
        if host is None:
            return
        counted = self.connection_server.admit(host)
        if counted is None:
            self._refuse_connection(transport)
            return
        self.counted_peer = counted or None

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.counted_peer is not None:
            self.connection_server.release(self.counted_peer)
            self.counted_peer = None
        super().connection_lost(exc)

    def _refuse_connection(self, transport: asyncio.BaseTransport) -> None:
        limit = self.connection_server.max_connections_per_peer
        request_id = occurrence_id()
        body = orjson.dumps(
            {
                "type": "about:blank",
                "title": "Too Many Requests",
                "status": 429,
                "detail": f"This client already holds {limit} connections; close one first.",
                "instance": occurrence_uri(request_id),
            }
        )
        head = (
            "HTTP/1.1 429 Too Many Requests\r\n"
            f"Content-Type: {PROBLEM_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"{HEADER}: {request_id}\r\n"
            f"Server: {SERVER}\r\n"
            "Retry-After: 1\r\n"
            "Connection: close\r\n\r\n"
        )
        # uvloop's transports are not registered as asyncio.WriteTransport, so no isinstance.
        cast(asyncio.WriteTransport, transport).write(head.encode("ascii") + body)
        self.force_close()

    def set_parser(self, parser: Any, data_received_cb: Callable[[], None] | None = None) -> None:
        """Install a WebSocket's reader (``WebSocketResponse.prepare`` calls this after the
        101) behind the check that every client frame is masked (gateway/websocket_frames.py).
        """
        checked = MaskedFramesOnly(parser, fail_unmasked(self))
        super().set_parser(checked, data_received_cb)  # type: ignore[arg-type]

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
        request_id = occurrence_id()
        if status >= 500 or not isinstance(exc, HttpProcessingError | None):
            # A failure outside the root middleware (it answers everything inside it).
            log.error("unhandled error answering %s", request.remote, exc_info=exc)
            problem = ProblemError(500, "The server failed to handle this request; see its log.")
        else:
            problem = parser_problem(status, exc)
            current_request_id.set(request_id)
            # The parser's own message quotes the refused line (a header's whole value, an
            # API key with it), so the log says only what kind of refusal it was.
            log.info(
                "refused a malformed request from %s with %d (%s): %s",
                request.remote,
                problem.status,
                type(exc).__name__ if exc is not None else "no exception",
                problem.detail,
            )
        # No path to name (the request was not parsed): the instance is this occurrence,
        # by the id the answer's X-Request-ID and the log line carry.
        problem.extra["instance"] = occurrence_uri(request_id)
        response = problem_response(request, problem, instance=False)
        stamp(response, request_id)
        response.force_close()
        self.connection_server.count_unparsed(problem.status)
        return response


class ConnectionServer(web.Server):
    """aiohttp's low-level server making :class:`GatewayRequestHandler` connections, with a
    limit on the connections one peer may hold.

    Its ``request_handler`` and request factory are those of the application tree served
    now; :meth:`serve` replaces them (a reload in one process, gateway/reload.py). A
    connection keeps the handler it was made with, which a reload retires so that it passes
    each later request on to :meth:`serve_current` (gateway.dispatch.Served).
    """

    def __init__(
        self,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        *,
        loop: asyncio.AbstractEventLoop,
        request_factory: RequestFactory,
        settings: GatewaySettings,
        handler_cancellation: bool = False,
        **handler_options: Any,
    ) -> None:
        super().__init__(
            # The application's request factory makes web.Requests: what the handler takes.
            cast(Callable[[web.BaseRequest], Awaitable[web.StreamResponse]], handler),
            request_factory=self.make_request,
            handler_cancellation=handler_cancellation,
            loop=loop,
            **handler_options,
        )
        self.event_loop = loop
        self.use_options(handler_options)
        self.request_of = request_factory
        self.limit(settings)
        self.per_peer: Counter[str] = Counter()
        self.refusals = OncePer()

    def __call__(self) -> GatewayRequestHandler:
        return GatewayRequestHandler(self, loop=self.event_loop, **self.handler_options)

    def serve(
        self,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        request_factory: RequestFactory,
        settings: GatewaySettings,
        **handler_options: Any,
    ) -> None:
        """Answer every request from now on with ``handler`` (a new tree's), on connections
        made from now on with ``handler_options`` (the access log, keep-alive) and the
        per-peer limits of ``settings``. Requests already being answered are not touched."""
        self.request_handler = cast(
            Callable[[web.BaseRequest], Awaitable[web.StreamResponse]], handler
        )
        self.request_of = request_factory
        self.use_options(handler_options)
        self.limit(settings)

    def use_options(self, handler_options: dict[str, Any]) -> None:
        """The options of connections made from now on, and the access logger of every
        connection, the open ones too.

        aiohttp gives each connection a logger of its own, made with it: a keep-alive client
        (a load balancer's pooled connections) would keep the format, or the log, of the
        configuration its connection was made under, through any number of reloads. So each
        connection logs through :attr:`access_logger` instead (``log_access`` below), and times
        its requests whatever the setting (aiohttp times them only while its own logger is on),
        so that a reload that turns the log on reaches it too.
        """
        log = handler_options.get("access_log", web.access_logger)
        kind = handler_options.get("access_log_class", web.AccessLogger)
        logger = kind(log, web.AccessLogger.LOG_FORMAT) if log is not None else None
        self.access_logger = logger if logger is not None and logger.enabled else None
        self.handler_options = {**handler_options, "access_log": web.access_logger}

    def serve_current(self, request: web.Request) -> Awaitable[web.StreamResponse]:
        """What a retired tree's handler passes its requests to: the current tree's answer
        (not a coroutine of its own: one call, no extra frame to await through)."""
        return self.request_handler(request)

    def limit(self, settings: GatewaySettings) -> None:
        """The per-peer connection limit as ``settings`` set it (at start and on a reload)."""
        self.measure = settings.metrics
        self.max_connections_per_peer = settings.max_connections_per_peer
        self.ipv6_prefix = settings.ipv6_prefix
        # A trusted proxy carries many clients' connections: it is not limited as one peer.
        self.trusted = TrustedProxies(settings.trusted_proxies, settings.forwarded_header)

    def make_request(
        self,
        message: Any,
        payload: Any,
        protocol: Any,
        writer: Any,
        task: asyncio.Task[None],
    ) -> web.BaseRequest:
        """The request for ``message`` (as the application's own factory makes it), counted
        on its connection.

        A request asking to upgrade to anything but websocket (``h2c``, say) is answered with
        ``Connection: close``: aiohttp's C parser stops at its end and drops whatever was
        pipelined behind it in the same packet, which would otherwise never be answered. The
        server ignores an upgrade it does not support (RFC 9110 section 7.8), and a closed
        connection tells a pipelining client to send the rest again (RFC 9112 section 9.3.2).
        """
        protocol.requests_read += 1
        if message is UNPARSED:
            # aiohttp's stand-in for a message its parser refused says HTTP/1.0, and the
            # answer's status line would too: answer as the HTTP/1.1 server this is (RFC 9110
            # section 2.5: the highest version the server conforms to).
            message = message._replace(version=HttpVersion11)
        elif message.upgrade:
            upgrade = message.headers.get(hdrs.UPGRADE, "")
            if upgrade.strip().lower() != "websocket":
                if not message.should_close:
                    message = message._replace(should_close=True)
            elif (refused := refused_handshake(message)) is not None:
                # gateway/websocket_handshake.py: handed on as a plain GET, and a WebSocket
                # route's 426 to it becomes this 400 (gateway/errors.py).
                request = self.request_of(ignore_upgrade(message), payload, protocol, writer, task)
                request_state(request)[UPGRADE_REFUSED] = refused
                return request
        return self.request_of(message, payload, protocol, writer, task)

    def admit(self, peer: str) -> str | None:
        """Count one more connection of ``peer``, unless it already holds the most allowed
        (None); the key it was counted under, for :meth:`release` (``""``: not counted).

        Counted by :func:`~gateway.proxies.address_bucket`: one IPv6 host holds a whole
        network (``[gateway] ipv6_prefix``), and an IPv4-mapped peer is its IPv4 address.
        """
        limit = self.max_connections_per_peer
        if not limit or self.trusted.trusts(peer):
            return ""
        peer = address_bucket(peer, self.ipv6_prefix)
        if self.per_peer[peer] >= limit:
            if self.refusals.ready():
                log.warning(
                    "refusing connections from %s: it holds %d, the most allowed "
                    "([gateway] max_connections_per_peer); %d more refusals not logged",
                    peer,
                    limit,
                    self.refusals.take_suppressed(),
                )
            return None
        self.per_peer[peer] += 1
        return peer

    def release(self, peer: str) -> None:
        """One connection fewer for the key :meth:`admit` counted it under (kept, not made
        again: a reload may change ``ipv6_prefix`` while the connection is open)."""
        if peer not in self.per_peer:
            return
        self.per_peer[peer] -= 1
        if self.per_peer[peer] <= 0:
            del self.per_peer[peer]

    def count_unparsed(self, status: int) -> None:
        if self.measure:
            try:
                observe_unparsed(status)
            except Exception:  # metrics must never cost a client its answer
                log.exception("could not record metrics for a malformed request")


class ProtocolRunner(web.AppRunner):
    """``web.AppRunner`` serving through a :class:`ConnectionServer`.

    aiohttp's runner starts the application (its startup signals, freezing) and makes the
    server it would serve with; this runner serves with a :class:`ConnectionServer` instead,
    built from that server's public ``request_factory``, with the gateway's routing
    (gateway/dispatch.py) as its handler. :attr:`server` is that server once set up, and
    :meth:`cleanup` drains it as aiohttp's runner drains its own. Build it inside the running
    event loop.

    ``admin_port`` is the port of the admin listener when it is not ``[gateway] admin_port``
    (the testing kit listens on a free one); it splits paths only when either is set.

    :attr:`app` is the application tree served now: the one the runner was made with, until a
    reload in one process serves another (:meth:`serve`, gateway/reload.py); the drain and the
    cleanup are that tree's.
    """

    def __init__(
        self,
        app: web.Application,
        *,
        shutdown_timeout: float = 60.0,
        handler_cancellation: bool = False,
        admin_port: int | None = None,
        **handler_options: Any,
    ) -> None:
        super().__init__(app, shutdown_timeout=shutdown_timeout, **handler_options)
        self.tree = app
        self.drain_timeout = shutdown_timeout
        self.handler_cancellation = handler_cancellation
        self.admin_port = admin_port
        # What every connection's RequestHandler is made with: the runner's options (access
        # log, keep-alive) and the root application's handler_args (gateway/bodies.py).
        self.handler_options = {**handler_options, **HANDLER_ARGS}
        self.connections: ConnectionServer | None = None
        self.served: Served | None = None

    @property
    def app(self) -> web.Application:
        return self.tree

    @property
    def server(self) -> web.Server | None:
        return self.connections

    async def setup(self) -> None:
        loop = asyncio.get_running_loop()
        install_resource_log(loop)
        await super().setup()
        stock = super().server  # aiohttp's, never listened on: its factory is the app's own
        assert stock is not None
        self.served = served = serving(self.app, stock, self.admin_port)
        self.connections = ConnectionServer(
            served.handle,
            loop=loop,
            request_factory=stock.request_factory,
            handler_cancellation=self.handler_cancellation,
            settings=self.app[CONFIG].gateway,
            **self.handler_options,
        )

    def serve(
        self, app: web.Application, stock: web.Server, shutdown_timeout: float, **options: Any
    ) -> web.Application:
        """Serve ``app`` from the next request on, on every connection, the open ones too;
        return the tree served until now, whose requests in flight go on (its caller stops
        it). ``app`` is started, and ``stock`` the server aiohttp made of it (its runner's,
        never listened on: its request handler and factory are the tree's)."""
        assert self.connections is not None and self.served is not None
        previous, retired = self.tree, self.served
        self.served = serving(app, stock, self.admin_port)
        self.connections.serve(
            self.served.handle,
            stock.request_factory,
            app[CONFIG].gateway,
            **{**options, **HANDLER_ARGS},
        )
        # Connections made before now hold the retired tree's handler: from here on it
        # passes their requests to the tree served now (whichever that is by then).
        retired.retire(self.connections.serve_current)
        self.tree = app
        self.drain_timeout = shutdown_timeout
        return previous

    async def shutdown(self) -> None:
        await self.app.shutdown()

    async def cleanup(self) -> None:
        """Stop listening, close idle connections, run the app's on_shutdown, give requests
        in flight ``shutdown_timeout`` seconds, then run the app's cleanup (aiohttp's order)."""
        for site in list(self.sites):
            await site.stop()
        server = self.connections
        if server is not None:
            # Requests accepted just before the sites stopped start being handled first.
            await asyncio.sleep(0)
            server.pre_shutdown()
            await self.shutdown()
            await server.shutdown(self.drain_timeout)
            self.connections = None
        await self.app.cleanup()


def serving(app: web.Application, stock: web.Server, admin_port: int | None = None) -> Served:
    """The request handler of the tree ``app`` (started and frozen): gateway/dispatch.py's
    routing, split between the listeners when there is an admin listener (on ``admin_port``,
    else ``[gateway] admin_port``)."""
    settings = app[CONFIG].gateway
    # gateway/dispatch.py: the root's routing and middleware, without aiohttp's
    # per-application layers (the app is frozen by now).
    served = dispatcher(app, stock.request_handler, observe_safely if settings.metrics else None)
    if admin_port is None:
        admin_port = settings.admin_port
    if admin_port is not None:  # gateway/admin_listener.py
        served = split_listeners(served.handle, app[CONFIG], admin_port)
    return served


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
