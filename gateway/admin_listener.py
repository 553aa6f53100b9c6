"""The admin listener: the gateway's own paths on an address of their own.

With ``[gateway] admin_port`` set, ``gateway serve`` listens twice (one process or every
gunicorn worker alike): on ``host:port`` for clients and on ``admin_host:admin_port`` for
operators, as Kong's and Envoy's admin ports do. Each listener answers only its own paths and
404 for the other's, so the admin one can stay on a private network:

- admin: ``/_gateway`` (dashboard, status, plugin report), ``/metrics``, and every plugin whose
  ``PluginInfo`` says ``admin=True`` (the health endpoints);
- public: every other plugin;
- both: ``/openapi.json`` and ``/docs``, which describe the public API.

Which listener a request came in on is the local port of its connection (``admin_port``, or
the free port the testing kit's admin listener took instead: gateway/testing.py). One application
serves both, so a plugin is built and started once, whichever listener reaches it; the split
is made before routing, on the path as the router reads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.config import GatewayConfig
from gateway.dispatch import Served
from gateway.errors import ProblemError, answer_error
from gateway.request_id import HEADER, choose_request_id, stamp

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OWN_ADMIN_PATHS = ("/_gateway", "/metrics")
BOTH = ("/openapi.json", "/docs")


def admin_prefixes(config: GatewayConfig) -> tuple[str, ...]:
    """The path prefixes the admin listener serves."""
    plugins = sorted(
        plugin.prefix
        for plugin in config.plugins.values()
        if plugin.enabled
        and plugin.prefix is not None
        and plugin.plugin.info is not None
        and plugin.plugin.info.admin
    )
    return (*OWN_ADMIN_PATHS, *plugins)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def split_listeners(
    handler: Handler, config: GatewayConfig, admin_port: int | None = None
) -> Served:
    """``handler``, answering 404 for the admin paths on the public listener and for every
    other path on the admin one: the listener on ``admin_port`` (by default ``[gateway]
    admin_port``). Retired as gateway.dispatch.Served says."""
    if admin_port is None:
        admin_port = config.gateway.admin_port
    admin = admin_prefixes(config)
    forward: Handler | None = None

    async def split(request: web.Request) -> web.StreamResponse:
        if forward is not None:  # retired by a reload: the tree served now answers
            return await forward(request)
        transport = request.transport
        local = transport.get_extra_info("sockname") if transport is not None else None
        on_admin = isinstance(local, tuple) and len(local) > 1 and local[1] == admin_port
        path = request.rel_url.path_safe  # as the router matches it
        if on_admin == _under(path, admin) or _under(path, BOTH):
            return await handler(request)
        where = "the admin listener" if on_admin else "this address"
        response = answer_error(
            request,
            ProblemError(
                404,
                f"Nothing is served at {request.path} on {where}.",
            ),
        )
        stamp(response, choose_request_id(request.headers.get(HEADER)))
        return response

    def retire(to: Handler) -> None:
        nonlocal forward
        forward = to

    return Served(split, retire)
