"""The proxy's WebSocket relay gets the host's RFC 6455 checks too (tests/hostile/
test_websocket_conformance.py has the crypto feed's): an unmasked client frame fails the
connection with 1002, and a handshake sent as HTTP/1.0 or asking for version 8 is not
upgraded. Over raw sockets to the testing kit's gateway (the runner ``gateway serve`` uses).
"""

from __future__ import annotations

import asyncio
import struct

from tests.hostile.test_live_feed import frame
from tests.hostile.test_websocket_conformance import handshake_bytes, unmasked


async def raw_exchange(port: int, data: bytes, *, open_for: float | None = None) -> bytes:
    """Send ``data`` and read until the server closes the connection (failing after 5 s), or
    for ``open_for`` seconds on a connection expected to stay open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    received = b""
    try:
        async with asyncio.timeout(open_for or 5):
            while chunk := await reader.read(65536):
                received += chunk
    except TimeoutError:
        assert open_for, f"the server did not close the connection: {received!r}"
    finally:
        writer.close()
    return received


def frames_in(data: bytes) -> list[tuple[int, bytes]]:
    """The (opcode, payload) of every complete server frame in ``data``."""
    frames = []
    while len(data) >= 2:
        n, start = data[1] & 0x7F, 2
        if n == 126:
            n, start = struct.unpack(">H", data[2:4])[0], 4
        frames.append((data[0] & 0x0F, data[start : start + n]))
        data = data[start + n :]
    return frames


async def test_the_proxys_websocket_gets_the_same_checks(upstream, proxied) -> None:
    server = await upstream("ws")
    client = await proxied([server])
    port = client.server.port
    data = await raw_exchange(port, handshake_bytes(b"/svc/ws") + frame(b"hi"), open_for=1)
    assert data.startswith(b"HTTP/1.1 101") and b"ws:hi" in data  # the relay works
    data = await raw_exchange(port, handshake_bytes(b"/svc/ws") + unmasked(b"there"))
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    opcode, payload = frames_in(rest)[-1]  # and then the server closed the connection
    assert opcode == 8 and payload.startswith(b"\x03\xea") and b"masked" in payload
    for version, http in ((b"8", b"HTTP/1.1"), (b"13", b"HTTP/1.0")):
        answer = await raw_exchange(port, handshake_bytes(b"/svc/ws", version=version, http=http))
        # Not upgraded: relayed as the plain GET it now is (the target refuses that itself).
        assert answer.split(b" ", 2)[1] != b"101", answer
