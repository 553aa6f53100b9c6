"""Every frame a WebSocket client sends must be masked (RFC 6455 section 5.1).

aiohttp's WebSocket reader unmasks a masked frame and takes an unmasked one as it is, where
the RFC says a server MUST close the connection on a frame that is not masked (masking keeps
a client's bytes from being chosen by a script to poison an intermediary's cache). The
gateway's connections (gateway/protocol.py) wrap whatever reader a WebSocket handler installs
(``RequestHandler.set_parser``, called by ``WebSocketResponse.prepare`` after the 101) in
:class:`MaskedFramesOnly`: every plugin's WebSocket, the proxy's relay and a third-party
plugin's alike, through aiohttp's public API.

It reads only frame headers (2 to 14 bytes a frame) and skips payloads by their length; the
first frame whose mask bit is clear fails the connection (RFC 6455 section 7.1.7): a close
frame with 1002 (protocol error) and a reason, then the TCP connection is closed, and the
handler's ``receive`` sees the socket closed.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode

log = logging.getLogger("gateway.websocket")

UNMASKED_REASON = b"a client's frames must be masked (RFC 6455 section 5.1)"
_MASK_BIT = 0x80


def close_frame(code: int, reason: bytes) -> bytes:
    """A server's (unmasked) close frame with ``code`` and ``reason`` (at most 123 bytes)."""
    payload = struct.pack("!H", code) + reason[:123]
    return bytes((0x88, len(payload))) + payload


def _header_size(head: bytearray) -> int:
    """The size of a masked frame's header whose first two bytes are ``head[:2]``."""
    length = head[1] & 0x7F
    extended = 2 if length == 126 else 8 if length == 127 else 0
    return 2 + extended + 4


def _payload_length(head: bytearray) -> int:
    length = head[1] & 0x7F
    if length == 126:
        return int.from_bytes(head[2:4], "big")
    if length == 127:
        return int.from_bytes(head[2:10], "big")
    return length


class MaskedFramesOnly:
    """A WebSocket reader (``feed_data``/``feed_eof``, as ``set_parser`` takes one) that hands
    ``reader`` the stream while every frame in it is masked, and calls ``fail`` (once, soon
    after, from the event loop) at the first that is not."""

    def __init__(self, reader: Any, fail: Callable[[], None]) -> None:
        self.reader = reader
        self.fail = fail
        self.failed = False
        self._head = bytearray()  # the frame header read so far
        self._payload_left = 0  # bytes of the current frame's payload still to come

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self.failed:
            return True, b""
        if not self._all_masked(data):
            self.failed = True
            # From the loop, not from inside data_received (or prepare, for bytes that came
            # with the handshake): the reader and the handler see a connection closed.
            asyncio.get_running_loop().call_soon(self.fail)
            return True, b""
        return self.reader.feed_data(data)  # type: ignore[no-any-return]

    def feed_eof(self) -> None:
        self.reader.feed_eof()

    def _all_masked(self, data: bytes) -> bool:
        position, end = 0, len(data)
        head = self._head
        while position < end:
            if self._payload_left:
                step = min(self._payload_left, end - position)
                self._payload_left -= step
                position += step
                continue
            wanted = 2 if len(head) < 2 else _header_size(head)
            step = min(wanted - len(head), end - position)
            head += data[position : position + step]
            position += step
            if len(head) < 2:
                continue
            if not head[1] & _MASK_BIT:
                return False
            if len(head) == _header_size(head):
                self._payload_left = _payload_length(head)
                head.clear()
        return True


def fail_unmasked(protocol: Any) -> Callable[[], None]:
    """What fails ``protocol``'s (a ``web.RequestHandler``'s) WebSocket on an unmasked frame:
    a close frame with 1002, then the connection closed."""

    def fail() -> None:
        transport = protocol.transport
        if transport is not None and not transport.is_closing():
            transport.write(close_frame(WSCloseCode.PROTOCOL_ERROR, UNMASKED_REASON))
        log.info("closed a WebSocket with 1002: the client sent an unmasked frame")
        protocol.force_close()

    return fail
