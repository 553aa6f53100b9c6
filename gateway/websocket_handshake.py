"""WebSocket handshakes the gateway does not upgrade: HTTP/1.0, versions other than 13, and
methods other than GET.

aiohttp upgrades a handshake sent as HTTP/1.0, one asking for the drafts' versions 7 and 8,
and a HEAD; RFC 6455 section 4.1 asks for a GET over HTTP/1.1 and version 13, and RFC 9110
section 7.8 says a server MUST ignore ``Upgrade`` in an HTTP/1.0 request. The gateway's
connections (gateway/protocol.py) ask :func:`refused_handshake` about every request asking
for a websocket upgrade, before any handler sees it, and for one they refuse:

- the request reaches its handler with the upgrade ignored (:func:`ignore_upgrade`: no
  ``Upgrade`` field, the connection closed after the answer), so a route that is not a
  WebSocket answers it as any GET, and a WebSocket route finds no handshake;
- a WebSocket route's answer to that (the 426 "this is a WebSocket endpoint" every WebSocket
  route gives a plain GET, whether the plugin raises it or aiohttp's ``WebSocketResponse``
  refuses and gateway/errors.py turns it into one) is replaced by the 400 saying why the
  upgrade was refused, with ``Sec-WebSocket-Version: 13`` (RFC 6455 section 4.4).

Every plugin's WebSocket gets this through the host, without a line of its own.
"""

from __future__ import annotations

from typing import Any

from aiohttp import HttpVersion11, hdrs
from multidict import CIMultiDict, CIMultiDictProxy

from gateway.errors import ProblemError

VERSION = "13"
_UPGRADE = hdrs.UPGRADE.lower().encode("ascii")


def refused_handshake(message: Any) -> ProblemError | None:
    """The 400 for a websocket upgrade in ``message`` (aiohttp's parsed request message) that
    the gateway will not perform, or ``None`` to let the handler decide."""
    if message.method != hdrs.METH_GET:
        return ProblemError(
            400,
            "A WebSocket handshake is a GET (RFC 6455 section 4.1).",
            headers={hdrs.SEC_WEBSOCKET_VERSION: VERSION},
        )
    if message.version < HttpVersion11:
        return ProblemError(
            400,
            "A WebSocket handshake needs HTTP/1.1 (RFC 6455 section 4.1); this one was sent as "
            "HTTP/1.0, whose Upgrade field a server ignores.",
            headers={hdrs.SEC_WEBSOCKET_VERSION: VERSION},
        )
    version = message.headers.get(hdrs.SEC_WEBSOCKET_VERSION)
    if version is not None and version.strip() != VERSION:
        return ProblemError(
            400,
            "This server speaks WebSocket version 13 (RFC 6455) only; the handshake asked "
            "for another. Send Sec-WebSocket-Version: 13.",
            headers={hdrs.SEC_WEBSOCKET_VERSION: VERSION},
        )
    return None


def ignore_upgrade(message: Any) -> Any:
    """``message`` as if it had asked for no upgrade, on a connection closed after it."""
    headers = CIMultiDict(message.headers)
    headers.popall(hdrs.UPGRADE, None)
    raw = tuple((name, value) for name, value in message.raw_headers if name.lower() != _UPGRADE)
    return message._replace(
        headers=CIMultiDictProxy(headers), raw_headers=raw, upgrade=False, should_close=True
    )
