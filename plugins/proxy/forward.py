"""The proxy's HTTP handler: one request forwarded to a target, its answer streamed back.

Neither body is ever held whole: the client's is read piece by piece into the target's
request, and the target's is written to the client as it arrives, so a 1 GiB body costs what
one piece of it does. Each piece waits at most ``timeouts.idle``.

Until a byte of the answer has been sent, a failure is a problem+json answer carrying
``Proxy-Status`` (problems.py), after a retry on another target when the request allows one.
Once the answer is under way, a target that fails ends the client's connection (its answer is
visibly cut short, never silently completed) and the failure is logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from ssl import SSLContext

import aiohttp
from aiohttp import HttpVersion11, web
from multidict import CIMultiDict
from yarl import URL

from gateway import REQUEST_ID, ProblemError, send_continue
from gateway_plugins.proxy.deadlines import Deadline
from gateway_plugins.proxy.fields import RequestFields, relayed_fields
from gateway_plugins.proxy.metrics import TOTAL_SECONDS
from gateway_plugins.proxy.paths import rewrite_location, tail_of
from gateway_plugins.proxy.problems import UpstreamFailure, classify, failure_problem
from gateway_plugins.proxy.retries import RetryBudget
from gateway_plugins.proxy.settings import ProxySettings
from gateway_plugins.proxy.targets import Target, Targets

log = logging.getLogger("gateway.proxy")

IDEMPOTENT = frozenset(("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"))
# Answers worth trying on another target (the target said it cannot serve now).
RETRY_STATUSES = frozenset((502, 503, 504))
_NO_BODY_STATUSES = frozenset((204, 304))
_LOCATIONS = ("Location", "Content-Location")
TAIL = "tail"  # the catch-all route's parameter: "/{tail:.*}"


class ClientBody:
    """The client's request body as the target's request reads it, piece by piece.

    Records why it stopped early (``problem``) so a failure of the client is not blamed on
    the target: a body too large (413) or too slow (408).
    """

    def __init__(self, request: web.Request, idle: float, limit: int | None) -> None:
        self._request = request
        self._idle = idle
        self._limit = limit
        self.problem: ProblemError | None = None
        self.started = False  # whether any of the body was asked for
        # The attempt's clock (forward.py's _send): while a piece is being written the target
        # must take it within ``idle`` seconds; once the body is sent, its answer is due
        # within ``first_byte``; while the client is awaited, the client's own clock runs.
        self.deadline: Deadline | None = None
        self.first_byte = 0.0

    async def pieces(self) -> AsyncIterator[bytes]:
        self.started = True
        await send_continue(self._request)  # the client was not asked for its body before
        content = self._request.content
        size = 0
        while True:
            try:
                async with asyncio.timeout(self._idle):
                    piece = await content.readany()
            except TimeoutError:
                self.problem = ProblemError(
                    408, f"The request body stalled for {self._idle:g}s; it was not forwarded."
                )
                raise
            if not piece:
                break
            size += len(piece)
            if self._limit is not None and size > self._limit:
                self.problem = ProblemError(
                    413, f"The request body is larger than {self._limit} bytes."
                )
                raise self.problem
            deadline = self.deadline
            if deadline is not None:
                deadline.reschedule(deadline.loop.time() + self._idle)
            yield piece
            if deadline is not None:
                deadline.reschedule(None)
        if self.deadline is not None:
            self.deadline.reschedule(self.deadline.loop.time() + self.first_byte)


class Forwarder:
    """Forwards the requests of one proxy instance; built with the app, started with it."""

    def __init__(
        self,
        settings: ProxySettings,
        targets: Targets,
        ssl: SSLContext | None,
        instance: str,
        *,
        measured: bool = True,
    ) -> None:
        self.settings = settings
        self.instance = instance  # the host's name for it: the metrics' label
        self.targets = targets
        self.fields = RequestFields(
            pass_credentials=settings.pass_credentials,
            credential_fields=settings.credential_fields,
            identity_field=settings.identity_field,
            via=settings.via,
        )
        self.budget = RetryBudget(settings.retry_budget)
        self.ssl = ssl
        self.session: aiohttp.ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.prefix = ""  # the mount prefix, read when started (mount_prefix)
        self.route: web.AbstractRoute | None = None  # the catch-all route (app.py)
        # Prometheus metrics only where /metrics serves them (metrics.py); else no target has
        # any (Target.metrics stays None) and nothing is observed per request.
        self.total_seconds = TOTAL_SECONDS.labels(instance) if measured else None
        timeouts = settings.timeouts
        # Connecting is bounded by aiohttp; the answer's head and each body piece by our own
        # clocks, which know when the request's body has been sent.
        self.client_timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=timeouts.connect, sock_read=None
        )
        self.head_within = timeouts.connect + timeouts.first_byte
        self.via_11 = f"1.1 {settings.via}"  # the Via of nearly every answer, made once

    def ssl_for(self, url: str) -> SSLContext | bool:
        """What aiohttp's ``ssl=`` takes for ``url``: the instance's context for https."""
        if self.ssl is not None and url.startswith(("https:", "wss:")):
            return self.ssl
        return True  # aiohttp's default: verified with the system's CAs

    def mount_prefix(self) -> str:
        """Where the instance is mounted ("/billing"); "" before it is mounted.

        Read from the catch-all route's own template, which ``add_subapp`` prefixes: the
        plugin's settings never see the prefix, and one plugin may be mounted many times.
        """
        resource = self.route.resource if self.route is not None else None
        if resource is None:
            return ""
        return resource.canonical.removesuffix("/{%s}" % TAIL)  # noqa: UP031 - a template

    def started(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.loop = asyncio.get_running_loop()  # for the attempts' deadlines (deadlines.py)
        self.prefix = self.mount_prefix()
        if self.total_seconds is not None:  # measured: [gateway] metrics
            self.targets.start_metrics(self.instance)
        for target in self.targets.all:  # once, not per request
            target.ssl = self.ssl_for(target.origin)
            target.root = target.base if self.settings.strip_prefix else target.base + self.prefix

    # --- the handler ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        raw_path, _, query = request.raw_path.partition("?")
        path_tail = tail_of(raw_path, self.prefix)
        settings = self.settings
        limit = settings.max_body_size
        if limit is not None and (request.content_length or 0) > limit:
            raise ProblemError(413, f"The request body is larger than {limit} bytes.")
        has_body = request.body_exists
        # A request with a body is tried again only while none of its body was read (the
        # target could not be reached): a streamed body cannot be sent twice.
        attempts = 1 + settings.retries if request.method in IDEMPOTENT else 1
        self.budget.deposit()
        tried: list[Target] = []
        failure: UpstreamFailure | None = None
        try:
            for attempt in range(attempts):
                target = self.targets.choose(request, tried)
                if target is None:
                    break
                if attempt:
                    if not self.budget.withdraw():
                        break
                    if target.metrics is not None:
                        target.metrics.retries.inc()
                tried.append(target)
                path = (target.root + path_tail) or "/"  # the bare prefix: the target's root
                body = ClientBody(request, settings.timeouts.idle, limit) if has_body else None
                try:
                    return await self._attempt(
                        request, target, path, query, body, tried, attempt + 1 < attempts
                    )
                except UpstreamFailure as exc:
                    if body is not None and body.problem is not None:
                        raise body.problem from None
                    failure = exc
                    if exc.error == "proxy_internal_error":
                        break
                    if body is not None and (body.started or not exc.before_sending):
                        break
        finally:
            if self.total_seconds is not None:
                self.total_seconds.observe(time.perf_counter() - started)
        if failure is None:
            failure = UpstreamFailure("destination_unavailable")
        if failure.cause is not None:
            log.warning(
                "proxy %s %s: %s (%s)",
                request.method,
                request.path,
                failure.error,
                failure.cause,
            )
        raise failure_problem(self.settings.via, failure.error)

    async def _attempt(
        self,
        request: web.Request,
        target: Target,
        path: str,
        query: str,
        body: ClientBody | None,
        tried: list[Target],
        more_attempts: bool,
    ) -> web.StreamResponse:
        """One try on ``target``: the relayed answer, or :class:`UpstreamFailure` before any
        byte of it was sent (also for a 502/503/504 worth trying elsewhere)."""
        await self.take_slot(target)
        try:
            upstream = await self._send(request, target, path, query, body)
            status = upstream.status
            if status >= 500:
                self.targets.failed(target, f"answered {status}")
                # Worth another target only when another attempt would really be made (else
                # the answer is relayed as it came); asked only now, as it is rarely needed.
                if (
                    status in RETRY_STATUSES
                    and more_attempts
                    and body is None
                    and self.budget.tokens >= 1.0
                    and self.targets.any_available(excluding=tried)
                ):
                    upstream.close()
                    raise UpstreamFailure("destination_unavailable")
            else:
                self.targets.succeeded(target)
            return await self._relay(request, upstream, target)
        finally:
            self.free_slot(target)

    async def take_slot(self, target: Target) -> None:
        slots = target.slots
        if slots.locked():
            try:
                async with asyncio.timeout(self.settings.pool_wait):
                    await slots.acquire()
            except TimeoutError:
                raise UpstreamFailure("connection_limit_reached") from None
        else:
            await slots.acquire()
        target.in_flight += 1
        metrics = target.metrics
        if metrics is not None and metrics.connections is not None:  # see TargetMetrics
            metrics.connections.inc()

    def free_slot(self, target: Target) -> None:
        target.slots.release()
        target.in_flight -= 1
        metrics = target.metrics
        if metrics is not None and metrics.connections is not None:
            metrics.connections.dec()

    async def _send(
        self,
        request: web.Request,
        target: Target,
        path: str,
        query: str,
        body: ClientBody | None,
    ) -> aiohttp.ClientResponse:
        assert self.session is not None, "the proxy's session opens with the app"
        settings = self.settings
        url = URL(target.origin + path + (f"?{query}" if query else ""), encoded=True)
        host = request.host if settings.preserve_host else target.host
        headers = self.fields.build(request, host)
        timeouts = settings.timeouts
        metrics = target.metrics
        sent = time.perf_counter()
        # Without a body the answer's head is due within connect + first_byte; with one, the
        # body keeps the clock (ClientBody.deadline).
        loop = self.loop
        assert loop is not None, "the proxy's loop is known once it has started"
        deadline = Deadline(loop, loop.time() + self.head_within if body is None else None)
        try:
            async with deadline:
                if body is not None:
                    body.deadline = deadline
                    body.first_byte = timeouts.first_byte
                upstream = await self.session.request(
                    request.method,
                    url,
                    headers=headers,
                    data=body.pieces() if body is not None else None,
                    allow_redirects=False,
                    ssl=target.ssl,
                    timeout=self.client_timeout,
                )
        except (aiohttp.ClientError, OSError) as exc:  # aiohttp's timeouts among them
            error = classify(exc)
            self._count_failure(target, error)
            raise UpstreamFailure(error, exc) from None
        except TimeoutError as exc:  # our own clock: the answer's head is late
            self._count_failure(target, "http_response_timeout")
            raise UpstreamFailure("http_response_timeout", exc) from None
        if metrics is not None:
            metrics.upstream_seconds.observe(time.perf_counter() - sent)
            metrics.answered(upstream.status)
        return upstream

    def _count_failure(self, target: Target, error: str) -> None:
        if target.metrics is not None:
            target.metrics.failed()
        if error in ("connection_refused", "connection_timeout", "destination_ip_unroutable"):
            self.targets.failed(target, error)

    async def _relay(
        self, request: web.Request, upstream: aiohttp.ClientResponse, target: Target
    ) -> web.StreamResponse:
        """Stream ``upstream``'s answer to the client; always releases ``upstream``."""
        settings = self.settings
        version = upstream.version
        via = (
            self.via_11
            if version is None or version == HttpVersion11
            else f"{version.major}.{version.minor} {settings.via}"
        )
        headers = relayed_fields(upstream.headers, via)
        for name in _LOCATIONS:
            value = headers.get(name)
            if value is not None:
                headers[name] = rewrite_location(
                    value,
                    target_origin=target.origin,
                    base=target.base,
                    prefix=self.prefix,
                    strip_prefix=settings.strip_prefix,
                    origin=f"{request.scheme}://{request.host}",
                )
        length = upstream.headers.get("Content-Length")
        if "Transfer-Encoding" in upstream.headers or not (length and length.isdigit()):
            length = None
        empty = request.method == "HEAD" or upstream.status in _NO_BODY_STATUSES
        if empty or (length is not None and int(length) <= settings.buffer_answers):
            return await self._answer_whole(request, upstream, headers, length, empty)
        request_id = request.get(REQUEST_ID)
        if request_id is not None:
            headers["X-Request-ID"] = request_id
        headers["Server"] = settings.via
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        response.headers.extend(headers)
        if length is not None:
            response.content_length = int(length)
        try:
            await response.prepare(request)
            if not await self._copy_body(request, upstream, response, target):
                return response  # cut short: the client's connection is closed
            await response.write_eof()
        except ConnectionError:
            log.info("proxy %s %s: the client went away", request.method, request.path)
            upstream.close()
            return response
        upstream.release()
        return response

    async def _answer_whole(
        self,
        request: web.Request,
        upstream: aiohttp.ClientResponse,
        headers: CIMultiDict[str],
        length: str | None,
        empty: bool,
    ) -> web.Response:
        """A small answer (at most ``buffer_answers`` bytes, said by its Content-Length) or
        one without a body, read whole and returned unprepared: one write to the client, and
        the host and other plugins' middlewares add their fields as to any answer."""
        try:
            if empty:
                body = None
            elif upstream.content.is_eof():  # all of it came with the head: nothing to wait for
                body = await upstream.read()
            else:
                async with asyncio.timeout(self.settings.timeouts.idle):
                    body = await upstream.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            upstream.close()
            error = "http_response_timeout" if isinstance(exc, TimeoutError) else classify(exc)
            raise UpstreamFailure(error, exc) from None
        upstream.release()
        response = web.Response(
            status=upstream.status, reason=upstream.reason, headers=headers, body=body
        )
        if empty and length is not None:
            response.headers["Content-Length"] = length  # a HEAD's, or a 304's, as sent
        return response

    async def _copy_body(
        self,
        request: web.Request,
        upstream: aiohttp.ClientResponse,
        response: web.StreamResponse,
        target: Target,
    ) -> bool:
        """Copy the body; ``False`` when the target failed and the client's connection was
        closed instead (raises ``ConnectionError`` when the client went away)."""
        idle = self.settings.timeouts.idle
        content = upstream.content
        while True:
            try:
                async with asyncio.timeout(idle):
                    piece = await content.readany()
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                reason = "stalled" if isinstance(exc, TimeoutError) else classify(exc)
                log.warning(
                    "proxy %s %s: target %s failed mid-answer (%s); closing the client's "
                    "connection",
                    request.method,
                    request.path,
                    target.url,
                    reason,
                )
                upstream.close()
                if not isinstance(exc, TimeoutError):
                    self.targets.failed(target, reason)
                transport = request.transport
                if transport is not None:
                    transport.close()
                return False
            if not piece:
                return True
            try:
                async with asyncio.timeout(idle):
                    await response.write(piece)
            except TimeoutError:
                # The client stopped reading: it must not hold the target's connection forever.
                log.info(
                    "proxy %s %s: the client read nothing for %gs; closing its connection",
                    request.method,
                    request.path,
                    idle,
                )
                upstream.close()
                transport = request.transport
                if transport is not None:
                    transport.close()
                return False
