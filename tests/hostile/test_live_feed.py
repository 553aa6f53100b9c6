"""The crypto WebSocket feed against hostile clients, over raw sockets to a real gateway."""

from __future__ import annotations

import base64
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator

import orjson
import pytest

from tests.hostile.conftest import ServedGateway, serve, stop
from tests.hostile.raw import exchange, one, read_response, request
from tests.processes import free_port

pytestmark = pytest.mark.slow  # each module serves a real gateway process


@pytest.fixture(scope="module")
def fake_url(tmp_path_factory) -> Iterator[str]:
    """The fake CoinGecko on a free port, ours once its own output says it listens there
    (another test's server may take the port first: this one then exits, and another port
    is tried)."""
    folder = tmp_path_factory.mktemp("fake")
    for attempt in range(5):
        port = free_port()
        log = folder / f"fake-{attempt}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.crypto.fake_coingecko", "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + 15
        while f":{port} " not in log.read_text(errors="replace"):
            if process.poll() is not None:
                break
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.05)
        else:
            break
    else:
        raise AssertionError("the fake CoinGecko found no free port in 5 tries")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def feed(tmp_path_factory, fake_url) -> Iterator[ServedGateway]:
    served = serve(
        tmp_path_factory.mktemp("feed"),
        f"""
        [gateway]
        shutdown_timeout = 1
        [plugins.health]
        [plugins.crypto]
        base_url = "{fake_url}"
        ws_refresh = 30
        # The message rate is tests/hostile/test_live_churn.py's: here sockets send as fast
        # as they like, so the other limits (slow readers, bounded errors) are what answers.
        ws_message_rate = "100000/minute"
        """,
    )
    yield served
    stop(served)


def upstream_calls(fake_url: str) -> int:
    port = int(fake_url.rsplit(":", 1)[1])
    return one(port, request("GET", "/_fake/calls", host=b"127.0.0.1")).json()["total"]


def handshake(port: int, key: bytes | None = None, *, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)) if key is None else key
    head = (
        b"GET /v1/crypto/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
    )
    if key:
        head += b"Sec-WebSocket-Key: " + key + b"\r\n"
    sock.sendall(head + b"\r\n")
    return sock


def accepted(port: int, **kwargs) -> tuple[socket.socket, bytes]:
    sock = handshake(port, **kwargs)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    assert data.startswith(b"HTTP/1.1 101"), data
    return sock, data.split(b"\r\n\r\n", 1)[1]


def frame(payload: bytes, opcode: int = 1, rsv: int = 0) -> bytes:
    n = len(payload)
    if n < 126:
        length = bytes([0x80 | n])
    elif n < 65536:
        length = bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        length = bytes([0x80 | 127]) + struct.pack(">Q", n)
    mask = os.urandom(4)
    masked = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return bytes([0x80 | rsv | opcode]) + length + mask + masked


class Frames:
    """Server frames read off a raw socket (unmasked, as servers send them)."""

    def __init__(self, sock: socket.socket, buffered: bytes = b"") -> None:
        self.sock, self.data = sock, buffered

    def _need(self, n: int) -> None:
        while len(self.data) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.data += chunk

    def next(self) -> tuple[int, bytes]:
        self._need(2)
        opcode, n = self.data[0] & 0x0F, self.data[1] & 0x7F
        start = 2
        if n == 126:
            self._need(4)
            n, start = struct.unpack(">H", self.data[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, start = struct.unpack(">Q", self.data[2:10])[0], 10
        self._need(start + n)
        payload, self.data = self.data[start : start + n], self.data[start + n :]
        return opcode, payload

    def json(self) -> dict:
        opcode, payload = self.next()
        assert opcode == 1, (opcode, payload)
        return orjson.loads(payload)

    def close_code(self) -> int:
        opcode, payload = self.next()
        assert opcode == 8, (opcode, payload)
        return struct.unpack(">H", payload[:2])[0]


def subscribe(port: int, ids: list[str], vs: str = "usd") -> tuple[socket.socket, Frames]:
    sock, rest = accepted(port)
    frames = Frames(sock, rest)
    sock.sendall(frame(orjson.dumps({"subscribe": ids, "vs": vs})))
    return sock, frames


@pytest.mark.parametrize("key", [b"", b"too-short", b"!!!!not-base64!!!!!!!!=="])
def test_a_broken_handshake_is_400_not_426(feed, key):
    with handshake(feed.port, key) as sock:
        answer = read_response(sock)
    assert answer.status == 400
    assert answer.header("Content-Type") == "application/problem+json"
    assert "Sec-WebSocket-Key" in answer.json()["detail"]


def test_error_replies_are_bounded(feed):
    sock, rest = accepted(feed.port)
    with sock:
        frames = Frames(sock, rest)
        bad = orjson.dumps({"subscribe": ["not a coin!"] * 4500})  # about 63 KB
        assert len(bad) < 64 * 1024
        sock.sendall(frame(bad))
        opcode, payload = frames.next()
        assert opcode == 1
        assert len(payload) < 4096
        reply = orjson.loads(payload)
        assert len(reply["errors"]) == 10 and reply["errors_not_listed"] > 0


def test_invalid_utf8_closes_1007_and_reserved_bits_1002_as_documented(feed):
    for sent, code in [(frame(b"\xff\xfe"), 1007), (frame(b"{}", rsv=0x40), 1002)]:
        sock, rest = accepted(feed.port)
        with sock:
            sock.sendall(sent)
            assert Frames(sock, rest).close_code() == code


def test_known_unknown_ids_are_refused_without_an_upstream_call(feed, fake_url):
    sock, frames = subscribe(feed.port, ["no-such-coin-abc"])
    with sock:
        assert frames.json()["type"] == "subscribed"
        assert frames.json()["prices"] == {"no-such-coin-abc": None}  # asked once
    calls = upstream_calls(fake_url)
    for _ in range(5):
        sock, frames = subscribe(feed.port, ["no-such-coin-abc", "bitcoin"])
        with sock:
            refusal = frames.json()
            assert refusal["type"] == "error" and "no-such-coin-abc" in refusal["error"]
    assert upstream_calls(fake_url) == calls
    sock, frames = subscribe(feed.port, ["bitcoin"])  # a real subscriber is still served
    with sock:
        assert frames.json()["type"] == "subscribed"
        assert frames.json()["prices"] == {"bitcoin": 67187.33}


def test_the_currencies_the_feed_follows_are_bounded(feed):
    held = []
    try:
        for i in range(10):
            sock, frames = subscribe(feed.port, ["bitcoin"], vs=f"cur{i}")
            held.append(sock)
            assert frames.json()["type"] == "subscribed"
            assert frames.json()["snapshot"] is True  # followed from now on
        sock, frames = subscribe(feed.port, ["bitcoin"], vs="onemore")
        held.append(sock)
        refusal = frames.json()
        assert refusal["type"] == "error" and "follows as many" in refusal["error"]
    finally:
        for sock in held:
            sock.close()


def test_a_subscriber_that_does_not_read_is_dropped(feed):
    sock, _ = accepted(feed.port, rcvbuf=4096)
    mark = feed.log_mark()
    with sock:
        sock.settimeout(0.2)
        message = frame(b"x")  # each is answered with an error of about 100 bytes
        sent = 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "dropping a live subscriber" not in feed.log_since(
            mark, settle=0
        ):
            try:
                sock.sendall(message * 1000)
                sent += 1000
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.2)
    assert "dropping a live subscriber" in feed.log_since(mark)
    assert "Traceback" not in feed.log_since(mark)
    assert one(feed.port, request("GET", "/health/live")).status == 200


def test_a_request_pipelined_behind_an_upgrade_answered_200_is_answered(feed):
    upgrade = request(
        "GET",
        "/health/live",
        headers={"Upgrade": "websocket", "Connection": "Upgrade"},
        close=False,
    )
    answers = exchange(feed.port, upgrade + request("GET", "/health/live"))
    assert [answer.status for answer in answers] == [200, 200]


def test_an_h2c_upgrade_with_a_body_is_answered_and_closes_the_connection(feed):
    # aiohttp's C parser drops what follows an h2c upgrade in the same packet; the gateway's
    # answer closes the connection, so the client resends it rather than wait for it
    # (tests/hostile/test_upgrades.py has the other shapes).
    info = request(
        "POST",
        "/v1/crypto/info",
        headers={"Upgrade": "h2c", "Connection": "Upgrade", "Content-Type": "application/json"},
        body=b"{}",
        close=False,
    )
    started = time.monotonic()
    answers = exchange(feed.port, info + request("GET", "/health/live"), timeout=8)
    assert time.monotonic() - started < 5  # closed by the server, not by the read timeout
    assert [answer.status for answer in answers] == [200]
    assert answers[0].header("Connection") == "close"
