"""One proxy instance's sub-application: a catch-all route, and the client session it owns.

Everything lives on the application (keys.py), nothing at module level, so one process may
serve several instances of the plugin, each with its own targets, pools and health.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from gateway import continue_when_read
from gateway_plugins.proxy.checks import ActiveChecks
from gateway_plugins.proxy.forward import TAIL, Forwarder
from gateway_plugins.proxy.keys import FORWARDER
from gateway_plugins.proxy.settings import ProxySettings
from gateway_plugins.proxy.targets import Targets
from gateway_plugins.proxy.tls import client_context
from gateway_plugins.proxy.websocket import relay_websocket, wants_websocket

log = logging.getLogger("gateway.proxy")


def build_app(
    settings: ProxySettings, config_dir: Path, instance: str, *, measured: bool = True
) -> web.Application:
    """Built without I/O (the TLS files are read here so a wrong path stops the start).
    ``instance`` is the name the host gives this instance: its metrics' label; ``measured``
    whether it keeps its Prometheus metrics (``[gateway] metrics``)."""
    app = web.Application()
    forwarder = Forwarder(
        settings,
        Targets(settings),
        client_context(settings, config_dir),
        instance,
        measured=measured,
    )
    app[FORWARDER] = forwarder

    async def handle(request: web.Request) -> web.StreamResponse:
        if settings.websockets and wants_websocket(request):
            return await relay_websocket(forwarder, request)
        return await forwarder.handle(request)

    # 100 Continue when the body is streamed (forward.py), after the size check.
    forwarder.route = app.router.add_route(
        "*",
        "/{%s:.*}" % TAIL,  # noqa: UP031
        handle,
        expect_handler=continue_when_read,
    )
    # The bare prefix, without a redirect.
    app.router.add_route("*", "", handle, expect_handler=continue_when_read)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(
            limit=0,  # each target has its own limit (Target.slots)
            limit_per_host=settings.max_connections,
            keepalive_timeout=settings.keepalive,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # bodies are relayed as they are
            # Only what the client sent: no User-Agent or Accept-Encoding of aiohttp's own.
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),  # the clients' cookies are theirs
            raise_for_status=False,
        )
        forwarder.started(session)
        checks = ActiveChecks(forwarder) if settings.health_check is not None else None
        if checks is not None:
            checks.start()
        try:
            yield
        finally:
            if checks is not None:
                await checks.stop()
            await session.close()

    app.cleanup_ctx.append(resources)
    return app
