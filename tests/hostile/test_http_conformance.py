"""HTTP/1.1 and RFC 9457 over a raw socket: what independent checkers found the gateway got
wrong (issue 34, "Protocol conformance").

- A transfer coding other than ``chunked`` is a 501 (RFC 9112 section 6.1), and nothing is
  stored: aiohttp's parsers took ``foo, chunked`` as chunked and handed on the coded bytes.
- A request the parser refused is answered with an HTTP/1.1 status line (aiohttp's stand-in
  message says HTTP/1.0) and a problem whose ``instance`` names the occurrence.
- A problem of type ``about:blank`` has the status phrase as its title (RFC 9457 section
  4.2.1), including the ones that used to say "Validation failed" or "Invalid JSON".
"""

from __future__ import annotations

import re
import uuid
from http import HTTPStatus

import pytest

from tests.hostile.metrics import delta, request_counts
from tests.hostile.raw import connect, one, parse_responses, read_all, request

pytestmark = pytest.mark.slow  # serves a real gateway process

NOTE = b'{"title": "coded"}'
CHUNKED_NOTE = b"%x\r\n%s\r\n0\r\n\r\n" % (len(NOTE), NOTE)


def notes_listed(port: int) -> list[str]:
    answer = one(port, request("GET", "/notes?limit=500"))
    return [note["title"] for note in answer.json()["notes"]]


@pytest.mark.parametrize(
    "coding", ["foo, chunked", "gzip, chunked", "identity, chunked", "chunked;q=1, x"]
)
def test_a_transfer_coding_other_than_chunked_is_a_501_and_nothing_is_stored(gateway, coding):
    before = request_counts(gateway.port)
    raw = request(
        "POST",
        "/notes",
        headers={"Content-Type": "application/json", "Transfer-Encoding": coding},
        body=CHUNKED_NOTE,
    )
    with connect(gateway.port) as sock:
        sock.sendall(raw)
        answers = parse_responses(read_all(sock))
    if coding.endswith("x"):  # chunked not last: the parser itself refuses the framing
        assert [a.status for a in answers] == [400]
        return
    (answer,) = answers
    assert answer.status == 501, answer
    assert answer.status_line == "HTTP/1.1 501 Not Implemented"
    assert answer.header("Content-Type") == "application/problem+json"
    assert answer.header("Connection") == "close"
    problem = answer.json()
    assert problem["title"] == "Not Implemented" and problem["instance"] == "/notes"
    assert coding.split(",")[0] in problem["detail"]
    assert answer.header("X-Request-ID")
    assert "coded" not in notes_listed(gateway.port)
    counted = delta(before, request_counts(gateway.port))
    assert counted.pop(("gateway", "unparsed", "-", "501")) == 1


def test_plain_chunked_still_works(gateway):
    raw = request(
        "POST",
        "/notes",
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        body=b"17\r\n" + b'{"title": "chunked ok"}' + b"\r\n0\r\n\r\n",
    )
    assert one(gateway.port, raw).status == 201


PARSER_REFUSALS = [
    b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
    b"GET /health/live HTTP/1.1\r\n\r\n",
    b"GET /health/live HTTP/1.0\r\nX-A: a\x00b\r\n\r\n",
]


@pytest.mark.parametrize("raw", PARSER_REFUSALS, ids=["method", "414", "431", "no-host", "1.0"])
def test_parser_refusals_answer_http_1_1_with_an_instance(gateway, raw):
    answer = one(gateway.port, raw)
    phrase = HTTPStatus(answer.status).phrase
    assert answer.status_line == f"HTTP/1.1 {answer.status} {phrase}"
    assert answer.header("Connection") == "close"
    problem = answer.json()
    assert problem["type"] == "about:blank" and problem["title"] == phrase
    request_id = answer.header("X-Request-ID")
    assert problem["instance"] == f"urn:uuid:{request_id}"
    assert uuid.UUID(request_id)  # an RFC 9562 UUID, so the URN is a valid one


BLANK_TITLED = [
    # (request, status): answers that used to carry a title other than the status phrase
    (request("POST", "/notes", headers={"Content-Type": "application/json"}, body=b"{"), 400),
    (
        request(
            "POST", "/notes", headers={"Content-Type": "application/json"}, body=b'{"colour": 1}'
        ),
        422,
    ),
    (
        request(
            "POST",
            "/notes",
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
            body=b"not gzip",
        ),
        400,
    ),
    (request("GET", "/notes/abc"), 404),
    (request("DELETE", "/notes"), 405),
]


@pytest.mark.parametrize(("raw", "status"), BLANK_TITLED, ids=["json", "422", "gzip", "404", "405"])
def test_about_blank_problems_are_titled_with_the_status_phrase(gateway, raw, status):
    answer = one(gateway.port, raw)
    assert answer.status == status, answer.body
    problem = answer.json()
    assert problem["type"] == "about:blank"
    assert problem["title"] == HTTPStatus(status).phrase
    assert re.match(r"^HTTP/1\.1 \d{3} ", answer.status_line)
