"""A request asking to upgrade to anything but websocket (``h2c``) never leaves what was
pipelined behind it waiting.

aiohttp's C parser stops at the end of such a request and drops the rest of that packet, so
the gateway answers it with ``Connection: close`` (gateway/protocol.py): the client sends what
it pipelined again on a new connection (RFC 9112 section 9.3.2) instead of waiting for
answers that would never come. Each case runs under uvloop (the shipped ``loop = "auto"``),
the standard library's loop, and aiohttp's pure-Python parser.
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


def answers_until_closed(port: int, packets: list[bytes]) -> list[RawResponse]:
    """Send ``packets`` (one ``send`` each) on one connection and read every answer until the
    server closes it, which it must do well before the read timeout."""
    started = time.monotonic()
    with connect(port, timeout=8) as sock:
        for packet in packets:
            sock.sendall(packet)
            time.sleep(0.05)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert time.monotonic() - started < 5  # closed by the server, not by the read timeout
    return parse_responses(data)


def assert_closed_after(answers: list[RawResponse], statuses: list[int]) -> None:
    """The upgrade request's answer (the last of ``statuses``) closes the connection; what
    was pipelined behind it was not answered, or (the pure-Python parser) was answered."""
    assert [answer.status for answer in answers[: len(statuses)]] == statuses, answers
    upgrade_answer = answers[len(statuses) - 1]
    assert upgrade_answer.header("Connection") == "close"
    assert len(answers) == len(statuses)  # nothing after a close


def test_a_request_pipelined_behind_an_h2c_upgrade_is_never_left_waiting(served):
    upgrade = request(
        "GET", "/health/live", headers={"Connection": "Upgrade", "Upgrade": "h2c"}, close=False
    )
    mark = served.log_mark()
    answers = answers_until_closed(served.port, [upgrade + request("GET", "/notes", close=False)])
    assert_closed_after(answers, [200])
    assert answers[0].json()["status"] == "pass"
    # the client's retry, on a new connection, is answered
    with connect(served.port, timeout=5) as sock:
        sock.sendall(request("GET", "/notes", close=False))
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
    answers = answers_until_closed(served.port, [behind + post + behind + behind])
    assert_closed_after(answers, [200, 201])
    assert answers[1].json()["title"] == "behind an upgrade"


def test_an_upgrade_whose_headers_end_in_the_next_packet(served):
    upgrade = request("GET", "/health/live", headers=H2C, close=False)
    behind = request("GET", "/notes", close=False)
    for cut in (1, 2, 3, 4):  # the blank line ending the headers split across two packets
        packets = [upgrade[:-cut], upgrade[-cut:] + behind]
        assert_closed_after(answers_until_closed(served.port, packets), [200])


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
    assert_closed_after(answers_until_closed(served.port, packets), [201])


def test_a_chunked_upgrade_body_closes_the_connection(served):
    chunked = request(
        "POST",
        "/notes",
        headers={**H2C, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        body=b"11\r\n" + b'{"title": "chunk"}'[:17] + b"\r\n0\r\n\r\n",
        close=False,
    )
    answers = answers_until_closed(served.port, [chunked + request("GET", "/health/live")])
    assert answers and answers[0].header("Connection") == "close"


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


def test_a_long_pipeline_with_an_upgrade_in_it_is_answered_up_to_the_upgrade(served):
    # aiohttp queues 32 parsed requests at a time: the upgrade is answered in place, behind
    # them, wherever it is in the pipeline.
    plain = request("GET", "/health/live", close=False)
    upgrade = request("GET", "/health/live", headers=H2C, close=False)
    for before in (3, 80):
        answers = answers_until_closed(served.port, [plain * before + upgrade + plain * 20])
        assert_closed_after(answers, [200] * (before + 1))
