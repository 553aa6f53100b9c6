"""Stopping without dropping a request: accept-grace, a bounded drain, a clean last answer.

The order, the same in the single process and in every gunicorn worker:

1. SIGTERM: readiness fails at once (``GatewayState.draining``), and for ``accept_grace``
   seconds the process still accepts and serves, so the load balancer (or Kubernetes, which
   removes an endpoint asynchronously) stops sending before anything is refused. Every
   response from now on carries ``Connection: close``, so keep-alive clients move to another
   instance after the request they have in flight instead of finding their connection reset.
2. The listener closes: nothing new is accepted; connections already accepted keep being read.
   A connection accepted just before then may not have delivered its first request yet:
   closing it would lose a request that a client never resends on a new connection, so the
   drain waits up to ``FIRST_REQUEST_WAIT`` for every such connection's first request (answered
   with ``Connection: close``) before idle connections are closed. A keep-alive connection
   idle since before the drain is closed then, as HTTP lets a server close an idle connection
   (a client resends on a reused connection, RFC 9112 section 9.3.1).
3. Plugins' ``on_shutdown`` run (live WebSockets are closed with 1001), then the requests in
   flight get ``shutdown_timeout`` seconds to finish. Any still running then is cancelled and
   answered with a 503 problem+json (``Connection: close``), which the access log shows; a
   response already being streamed is closed instead.
4. Every plugin's resources are closed (``cleanup_ctx``).

SIGINT (Ctrl+C at a terminal) skips the grace period: nobody is balancing load onto a
developer's process.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from gateway.config import GatewaySettings
from gateway.errors import ProblemError, problem_response
from gateway.keys import CONFIG, STATE, GatewayState
from gateway.protocol import ProtocolRunner

log = logging.getLogger("gateway.drain")

# Seconds a cancelled request gets to write its 503 before the connections are closed.
ANSWER_GRACE = 1.0
# Seconds, at most, that connections accepted before the listener closed get to send their
# first request once it has closed (a client on a LAN sends it with the handshake's ACK).
FIRST_REQUEST_WAIT = 1.0


class DrainingRunner(ProtocolRunner):
    """The gateway's runner (gateway/protocol.py: parser errors as problem+json, connections
    per peer) with the accept-grace period before the listener closes."""

    def __init__(
        self,
        app: web.Application,
        settings: GatewaySettings,
        *,
        least_grace: float = 0.0,
        **options: Any,
    ) -> None:
        options.setdefault("keepalive_timeout", settings.keepalive_timeout)
        super().__init__(app, **options)
        # A gunicorn worker always keeps least_grace: its siblings take the new connections,
        # and its keep-alive clients need one answer with Connection: close to move over.
        self.least_grace = least_grace
        self.accept_grace = max(settings.accept_grace, least_grace)
        self.skip_grace = False  # set for SIGINT

    def serve(
        self, app: web.Application, stock: web.Server, shutdown_timeout: float, **options: Any
    ) -> web.Application:
        previous = super().serve(app, stock, shutdown_timeout, **options)
        self.accept_grace = max(app[CONFIG].gateway.accept_grace, self.least_grace)
        return previous

    async def cleanup(self) -> None:
        state = self.app[STATE]
        if not state.draining and self.server is not None:
            state.draining = True
            grace = 0.0 if self.skip_grace else self.accept_grace
            log.info(
                "draining: %s; accepting for %gs more, then in-flight requests may finish",
                "replaced by a reload, readiness answers for the instance"
                if state.replaced
                else "readiness now fails",
                grace,
            )
            if grace > 0:
                await asyncio.sleep(grace)
        server = self.server
        if server is not None:
            for site in list(self.sites):
                await site.stop()
            await first_requests(server, FIRST_REQUEST_WAIT)
        await super().cleanup()


async def first_requests(server: web.Server, wait: float) -> None:
    """Wait until every connection has sent a request, ``wait`` seconds at most.

    aiohttp closes every connection without a request in progress as its drain starts,
    among them connections accepted a moment ago whose request is still on its way (a reset
    the client cannot safely retry), and a connection whose accept completes after that is
    never read or closed until the process exits. Polling first lets accepts under way finish.
    """
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        await asyncio.sleep(0.02)
        waiting = [c for c in server.connections if getattr(c, "requests_read", 1) == 0]
        if not waiting or asyncio.get_running_loop().time() >= deadline:
            return


def track(app: web.Application, settings: GatewaySettings) -> None:
    """Register the bounded wait for in-flight requests, after every plugin's on_shutdown."""

    async def finish_in_flight(app: web.Application) -> None:
        state = app[STATE]
        # A tree a reload retired is not draining: its answers leave connections open, since
        # the tree served now answers their next requests (gateway/reload.py).
        state.draining = not state.retired
        pending = {task for task in state.in_flight if not task.done()}
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=settings.shutdown_timeout)
        if not late:
            return
        log.warning(
            "shutdown_timeout (%gs) passed with %d requests in flight: answering them 503",
            settings.shutdown_timeout,
            len(late),
        )
        state.cut_off = True
        for task in late:
            task.cancel("shutdown_timeout")
        await asyncio.wait(late, timeout=ANSWER_GRACE)

    app.on_shutdown.append(finish_in_flight)


def cut_off_answer(request: web.Request, state: GatewayState) -> web.StreamResponse:
    """The 503 a request still running at the end of ``shutdown_timeout`` gets."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()  # answered: the cancellation has done its job
    problem = ProblemError(
        503,
        "The gateway is shutting down and this request ran past its shutdown_timeout; it was "
        "stopped and may not have completed. Retry it on another instance.",
        headers={"Retry-After": "1"},
    )
    response = problem_response(request, problem)
    response.force_close()
    return response
