"""RFC 6455 over raw sockets, for every plugin's WebSocket (the host enforces it):

- a client frame without a mask fails the connection: a close frame with 1002, then the TCP
  connection closed (section 5.1), also when the frame came in the handshake's packet;
- a handshake sent as HTTP/1.0 is not upgraded (section 4.1; RFC 9110 section 7.8): a
  WebSocket route answers 400, any other route answers as to a plain GET;
- a handshake asking for a version other than 13 (7 and 8, which aiohttp upgraded) is a 400
  with ``Sec-WebSocket-Version: 13`` (section 4.4; docs/crypto.md).

The crypto feed is served by a real ``gateway serve`` (tests/hostile/test_live_feed.py's
fixtures); the proxy's relay by the testing kit's runner, the one ``gateway serve`` uses.
"""

from __future__ import annotations

import base64
import os
import socket
import struct

import pytest

from tests.hostile import test_live_feed
from tests.hostile.raw import connect, parse_responses, read_all
from tests.hostile.test_live_feed import Frames, frame

# test_live_feed.py's gateway serving the crypto feed before a fake CoinGecko.
fake_url = test_live_feed.fake_url
feed = test_live_feed.feed

pytestmark = pytest.mark.slow  # serves real gateway processes

WS_PATH = b"/v1/crypto/ws"


def handshake_bytes(
    path: bytes, *, version: bytes = b"13", http: bytes = b"HTTP/1.1", key: bytes | None = None
) -> bytes:
    key = key or base64.b64encode(os.urandom(16))
    return (
        b"GET " + path + b" " + http + b"\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: " + version + b"\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\n\r\n"
    )


def unmasked(payload: bytes, opcode: int = 1) -> bytes:
    return bytes([0x80 | opcode, len(payload)]) + payload


def upgraded(sock: socket.socket) -> bytes:
    """Read the 101 off ``sock``; what came after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return rest


def closed_with(frames: Frames) -> tuple[int, bytes]:
    """The close frame's code and reason, and that the connection ends right after it."""
    opcode, payload = frames.next()
    while opcode != 8:  # a price message may come first
        opcode, payload = frames.next()
    code = struct.unpack(">H", payload[:2])[0]
    frames.sock.settimeout(5)
    assert frames.sock.recv(65536) == b""  # the server closed the TCP connection
    return code, payload[2:]


@pytest.mark.parametrize("opcode", [1, 2, 9, 8], ids=["text", "binary", "ping", "close"])
def test_an_unmasked_frame_fails_the_connection_with_1002(feed, opcode):
    with connect(feed.port) as sock:
        sock.sendall(handshake_bytes(WS_PATH))
        frames = Frames(sock, upgraded(sock))
        # A masked frame first: the socket works, and the scan follows frame boundaries.
        sock.sendall(frame(b'{"subscribe": ["bitcoin"], "vs_currency": "usd"}'))
        sock.sendall(unmasked(b"\x03\xe8" if opcode == 8 else b'{"subscribe": []}', opcode))
        code, reason = closed_with(frames)
    assert code == 1002
    assert b"masked" in reason


def test_an_unmasked_frame_in_the_handshakes_packet_fails_after_the_101(feed):
    with connect(feed.port) as sock:
        sock.sendall(handshake_bytes(WS_PATH) + unmasked(b"hello"))
        frames = Frames(sock, upgraded(sock))
        code, _ = closed_with(frames)
    assert code == 1002


def test_masked_frames_split_anywhere_are_accepted(feed):
    message = frame(b'{"subscribe": ["bitcoin"], "vs_currency": "usd"}')
    big = frame(b'{"unsubscribe": ["' + b"x" * 300 + b'"]}')  # a 16-bit extended length
    with connect(feed.port) as sock:
        sock.sendall(handshake_bytes(WS_PATH))
        frames = Frames(sock, upgraded(sock))
        stream = message + big + message
        for i in range(len(stream)):  # one byte a send: every header split every way
            sock.sendall(stream[i : i + 1])
        sock.sendall(frame(b"\x03\xe8", opcode=8))
        opcode, payload = frames.next()
        while opcode != 8:
            opcode, payload = frames.next()
    assert struct.unpack(">H", payload[:2])[0] == 1000


def refused(port: int, raw: bytes):
    with connect(port) as sock:
        sock.sendall(raw)
        answers = parse_responses(read_all(sock))  # read until the server closes
    assert len(answers) == 1, answers
    return answers[0]


@pytest.mark.parametrize("version", [b"7", b"8", b"12", b"14"])
def test_a_version_other_than_13_is_a_400(feed, version):
    answer = refused(feed.port, handshake_bytes(WS_PATH, version=version))
    assert answer.status == 400
    assert answer.header("Sec-WebSocket-Version") == "13"
    assert answer.header("Content-Type") == "application/problem+json"
    assert "version 13" in answer.json()["detail"]


def test_a_handshake_sent_as_http_1_0_is_a_400(feed):
    answer = refused(feed.port, handshake_bytes(WS_PATH, http=b"HTTP/1.0"))
    assert answer.status == 400
    assert "HTTP/1.1" in answer.json()["detail"]
    assert answer.header("Upgrade") is None


def test_an_http_1_0_upgrade_elsewhere_is_ignored(feed):
    answer = refused(feed.port, handshake_bytes(b"/health/live", http=b"HTTP/1.0"))
    assert answer.status == 200


def test_version_13_over_http_1_1_is_upgraded(feed):
    with connect(feed.port) as sock:
        sock.sendall(handshake_bytes(WS_PATH))
        upgraded(sock)
