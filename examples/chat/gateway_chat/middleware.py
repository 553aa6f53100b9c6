"""The chat's own middleware: on its sub-application only, inside the gateway's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway_chat.keys import SETTINGS

# The page loads its script and opens its socket on its own origin, nothing else.
POLICY = "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


@web.middleware
async def chat_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Say which room answered, and lock the page down with a Content-Security-Policy."""
    response = await handler(request)
    if not response.prepared:  # the WebSocket has sent its headers already
        response.headers["X-Chat-Room"] = request.app[SETTINGS].room
        response.headers["Content-Security-Policy"] = POLICY
    return response
