"""Slow bodies, many connections from one peer, and an exhausted file limit are bounded."""

import socket
import time

import pytest

from tests.hostile.conftest import serve, stop
from tests.hostile.raw import connect, one, parse_responses, read_all, request

pytestmark = pytest.mark.slow  # each module serves a real gateway process


def test_a_body_that_never_arrives_is_408_after_body_timeout(gateway):
    mark = gateway.log_mark()
    with connect(gateway.port, timeout=20) as sock:
        sock.sendall(
            b"POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"title": "slo'
        )
        (answer,) = parse_responses(read_all(sock))  # the server answers, then closes
    assert answer.status == 408
    assert answer.header("Content-Type") == "application/problem+json"
    assert "2 seconds" in answer.json()["detail"]  # body_timeout = 2 in this config
    assert "Traceback" not in gateway.log_since(mark)


def test_one_peer_holds_at_most_max_connections_per_peer(gateway):
    time.sleep(0.5)  # connections of earlier tests are gone
    held = [connect(gateway.port) for _ in range(24)]
    try:
        for sock in held:  # each is really served
            sock.sendall(request("GET", "/health/live", close=False))
        for sock in held:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        refused = one(gateway.port, request("GET", "/health/live"))
        assert refused.status == 429
        assert refused.header("Content-Type") == "application/problem+json"
        assert refused.header("Retry-After") == "1"
        held.pop().close()
        time.sleep(0.3)
        assert one(gateway.port, request("GET", "/health/live")).status == 200
    finally:
        for sock in held:
            sock.close()


@pytest.mark.slow
def test_running_out_of_file_descriptors_is_logged_once_and_recovers(tmp_path):
    served = serve(
        tmp_path,
        """
        [gateway]
        max_connections_per_peer = 0
        shutdown_timeout = 1
        # asyncio's loop reports a failed accept(); uvloop (libuv) accepts and closes such a
        # connection at once without a report, so there is nothing for the gateway to log.
        loop = "asyncio"
        [plugins.health]
        """,
        open_files=96,
    )
    sockets: list[socket.socket] = []
    try:
        for _ in range(160):  # more than the process may open: accept() fails with EMFILE
            sockets.append(socket.create_connection(("127.0.0.1", served.port), timeout=5))
        time.sleep(3.5)  # asyncio retries accept() every second and reports each failure
        log = served.log_since(0)
        assert log.count("out of system resource") == 1, log
        assert "Traceback" not in log
        for sock in sockets:
            sock.close()
        sockets.clear()
        time.sleep(1.5)
        assert one(served.port, request("GET", "/health/live")).status == 200
    finally:
        for sock in sockets:
            sock.close()
        stop(served)


def test_a_trusted_proxy_is_not_limited_as_one_peer(tmp_path):
    served = serve(
        tmp_path,
        """
        [gateway]
        max_connections_per_peer = 2
        trusted_proxies = ["127.0.0.1/32"]
        shutdown_timeout = 1
        [plugins.health]
        """,
    )
    held = [connect(served.port) for _ in range(5)]
    try:
        for sock in held:
            sock.sendall(request("GET", "/health/live", close=False))
        for sock in held:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()
        stop(served)
