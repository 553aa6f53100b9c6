"""Requests pipelined behind an ``Upgrade:`` the gateway does not support are answered.

aiohttp's C parser stops at the end of a request asking to upgrade to anything but websocket
and drops the rest of that packet (gateway/protocol.py feeds such packets in pieces). Each
case runs under uvloop (the shipped ``loop = "auto"``), the standard library's loop, and
aiohttp's pure-Python parser (which needs no help, but must not be hurt by the pieces).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.hostile.conftest import NOTES_CONFIG, ServedGateway, serve, stop
from tests.hostile.raw import RawResponse, connect, parse_responses, request

pytestmark = pytest.mark.slow  # each module serves real gateway processes

H2C = {
    "Connection": "Upgrade, HTTP2-Settings",
    "Upgrade": "h2c",
    "HTTP2-Settings": "AAMAAABkAAQAoAAAAAIAAAAA",
}


@pytest.fixture(
    scope="module",
    params=[("auto", False), ("asyncio", False), ("auto", True)],
    ids=["uvloop", "asyncio", "python-parser"],
)
def served(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[ServedGateway]:
    loop, python_parser = request.param
    config = NOTES_CONFIG.replace("[gateway]\n", f'[gateway]\n    loop = "{loop}"\n', 1)
    env = {"AIOHTTP_NO_EXTENSIONS": "1"} if python_parser else None
    gateway = serve(tmp_path_factory.mktemp("upgrades"), config, env=env)
    expected = "uvloop" if loop == "auto" else "asyncio"
    assert f"event loop: {expected}" in gateway.log_since(0), gateway.log_since(0)
    yield gateway
    stop(gateway)


def read_answers(sock: socket.socket, count: int) -> list[RawResponse]:
    """``count`` answers off ``sock``, leaving the connection open (a timeout fails)."""
    data = b""
    while True:
        answers = parse_responses(data)
        complete = [a for a in answers if len(a.body) == int(a.header("Content-Length") or 0)]
        if len(complete) >= count:
            return complete[:count]
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError(f"closed after {len(complete)} answers: {data!r}")
        data += chunk


def answers_on_one_connection(port: int, packets: list[bytes], count: int) -> list[RawResponse]:
    """Send ``packets`` (one ``send`` each) on one connection, read ``count`` answers."""
    with connect(port, timeout=5) as sock:
        for packet in packets:
            sock.sendall(packet)
            time.sleep(0.05)
        return read_answers(sock, count)


def test_a_request_pipelined_behind_an_h2c_upgrade_is_answered_on_the_same_connection(served):
    upgrade = request(
        "GET", "/health/live", headers={"Connection": "Upgrade", "Upgrade": "h2c"}, close=False
    )
    mark = served.log_mark()
    with connect(served.port, timeout=5) as sock:
        sock.sendall(upgrade + request("GET", "/notes", close=False))
        first, second = read_answers(sock, 2)
        assert first.status == 200 and first.json()["status"] == "pass"
        assert first.header("Connection") != "close"
        assert second.status == 200 and "notes" in second.json()
        # and the connection still serves a third request
        sock.sendall(request("GET", "/health/live", close=False))
        assert read_answers(sock, 1)[0].status == 200
    assert "Traceback" not in served.log_since(mark)


def test_an_h2c_upgrade_with_a_body_and_several_behind_it(served):
    post = request(
        "POST",
        "/notes",
        headers={**H2C, "Content-Type": "application/json"},
        body=b'{"title": "behind an upgrade"}',
        close=False,
    )
    behind = request("GET", "/health/live", close=False)
    answers = answers_on_one_connection(served.port, [behind + post + behind + behind], 4)
    assert [answer.status for answer in answers] == [200, 201, 200, 200]
    assert answers[1].json()["title"] == "behind an upgrade"


def test_an_upgrade_whose_headers_end_in_the_next_packet(served):
    upgrade = request("GET", "/health/live", headers=H2C, close=False)
    behind = request("GET", "/notes", close=False)
    for cut in (1, 2, 3, 4):  # the blank line ending the headers split across two packets
        packets = [upgrade[:-cut], upgrade[-cut:] + behind]
        answers = answers_on_one_connection(served.port, packets, 2)
        assert [answer.status for answer in answers] == [200, 200], cut


def test_an_upgrade_body_arriving_in_pieces(served):
    post = request(
        "POST",
        "/notes",
        headers={**H2C, "Content-Type": "application/json"},
        body=b'{"title": "in pieces"}',
        close=False,
    )
    behind = request("GET", "/health/live", close=False)
    head_end = post.index(b"\r\n\r\n") + 4
    packets = [post[: head_end + 5], post[head_end + 5 :] + behind]
    answers = answers_on_one_connection(served.port, packets, 2)
    assert [answer.status for answer in answers] == [201, 200]


def test_where_the_tail_cannot_be_kept_the_connection_closes_instead_of_hanging(served):
    # A chunked body on the upgrade request: the answer closes the connection (the client
    # sends the rest again), it never leaves the pipelined request waiting.
    chunked = request(
        "POST",
        "/notes",
        headers={**H2C, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        body=b"11\r\n" + b'{"title": "chunk"}'[:17] + b"\r\n0\r\n\r\n",
        close=False,
    )
    started = time.monotonic()
    with connect(served.port, timeout=8) as sock:
        sock.sendall(chunked + request("GET", "/health/live", close=False))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert time.monotonic() - started < 5  # closed by the server, not by the read timeout
    answers = parse_responses(data)
    assert answers[0].header("Connection") == "close" or len(answers) == 2


def test_a_websocket_upgrade_answered_200_still_answers_what_follows(served):
    upgrade = request(
        "GET",
        "/health/live",
        headers={"Upgrade": "websocket", "Connection": "Upgrade"},
        close=False,
    )
    answers = answers_on_one_connection(
        served.port, [upgrade + request("GET", "/notes", close=False)], 2
    )
    assert [answer.status for answer in answers] == [200, 200]


def test_a_long_pipeline_with_an_upgrade_in_it_is_answered_or_closed_never_left_waiting(served):
    # 100 requests in one packet: the gateway splits at most 64 pieces per packet and aiohttp
    # queues 32 at a time, so the h2c request near the front is answered in place and the
    # connection stays usable; one far behind is answered with Connection: close at worst.
    plain = request("GET", "/health/live", close=False)
    upgrade = request("GET", "/health/live", headers=H2C, close=False)
    front = answers_on_one_connection(served.port, [plain * 3 + upgrade + plain * 96], 100)
    assert [answer.status for answer in front] == [200] * 100
    started = time.monotonic()
    with connect(served.port, timeout=8) as sock:
        sock.sendall(plain * 80 + upgrade + plain * 5)
        data = b""
        while len(parse_responses(data)) < 86 and (chunk := sock.recv(65536)):
            data += chunk
    assert time.monotonic() - started < 5  # answered or closed by the server, never the timeout
    answers = parse_responses(data)
    assert len(answers) >= 81 and all(answer.status == 200 for answer in answers)
    assert len(answers) == 86 or answers[80].header("Connection") == "close"
