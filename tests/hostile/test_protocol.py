"""What aiohttp's HTTP parser refuses is answered problem+json, logged in one line, counted."""

import time

import pytest

from tests.hostile.metrics import delta, request_counts
from tests.hostile.raw import connect, exchange, one, parse_responses, read_all, request

pytestmark = pytest.mark.slow  # each module serves a real gateway process

MANY_HEADERS = b"".join(b"X-H-%d: 1\r\n" % i for i in range(200))
CASES = [
    ("unknown method", b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("request line over 8 KiB", b"GET /" + b"q" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("header over 8 KiB", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"z" * 9000 + b"\r\n\r\n", 431),
    ("too many headers", b"GET / HTTP/1.1\r\nHost: x\r\n" + MANY_HEADERS + b"\r\n", 431),
    (
        "Content-Length and Transfer-Encoding",
        b"POST /notes HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    (
        "two Content-Lengths",
        b"POST /notes HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        400,
    ),
    (
        "bad chunk size",
        b"POST /notes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nab\r\n0\r\n\r\n",
        400,
    ),
    ("non-ASCII path", b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("no Host on HTTP/1.1", b"GET /health/live HTTP/1.1\r\n\r\n", 400),
    ("NUL in a header value", b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    ("DEL in a header value", b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n", 400),
    (
        "NUL in a request's header, body behind it",
        b"POST /notes HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\x00b\r\nContent-Length: 2\r\n\r\n{}",
        400,
    ),
    ("control byte in a header name", b"GET / HTTP/1.1\r\nHost: x\r\nX\x01A: b\r\n\r\n", 400),
]


@pytest.mark.parametrize(("raw", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parser_errors_are_problem_json_with_a_request_id(gateway, raw, status):
    before = request_counts(gateway.port)
    mark = gateway.log_mark()
    answer = one(gateway.port, raw)
    assert answer.status == status
    assert answer.header("Content-Type") == "application/problem+json"
    request_id = answer.header("X-Request-ID")
    assert request_id
    problem = answer.json()
    assert problem["status"] == status and problem["detail"]
    # q and z are not hex digits, so the request id in the answer cannot hold them
    assert b"qqqq" not in answer.body and b"zzzz" not in answer.body  # nothing echoed
    log = gateway.log_since(mark)
    assert "Traceback" not in log
    refused = [line for line in log.splitlines() if "refused a malformed request" in line]
    assert len(refused) == 1 and f"[{request_id}]" in refused[0]
    counted = delta(before, request_counts(gateway.port))
    assert counted.pop(("gateway", "unparsed", "-", str(status))) == 1
    assert counted == {("gateway", "/metrics", "GET", "200"): 1}


LATE_BAD_CHUNK_HEAD = (
    b"POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"tit\r\n'
)


def test_unknown_expectation_is_a_problem_json_417(gateway):
    answer = one(gateway.port, request("GET", "/health/live", headers={"Expect": "200-ok"}))
    assert answer.status == 417
    assert answer.header("Content-Type") == "application/problem+json"
    assert answer.header("X-Request-ID")


def test_expect_100_continue_still_works(gateway):
    raw = request(
        "POST",
        "/notes",
        headers={"Expect": "100-continue", "Content-Type": "application/json"},
        body=b'{"title": "continued"}',
    )
    answers = exchange(gateway.port, raw)
    assert [a.status for a in answers] == [100, 201]


def test_metrics_label_405s_by_route_and_unmatched_requests_by_their_own_plugin(gateway):
    before = request_counts(gateway.port)
    assert one(gateway.port, request("GET", "/notes/abc")).status == 404
    assert one(gateway.port, request("GET", "/nope-xyz")).status == 404
    assert one(gateway.port, request("DELETE", "/notes")).status == 405
    assert one(gateway.port, request("PUT", "/health/live")).status == 405
    counted = delta(before, request_counts(gateway.port))
    assert counted == {
        ("notes", "unmatched", "GET", "404"): 1,
        ("gateway", "unmatched", "GET", "404"): 1,
        ("notes", "/notes", "DELETE", "405"): 1,
        ("health", "/health/live", "PUT", "405"): 1,
        ("gateway", "/metrics", "GET", "200"): 1,
    }


def test_a_control_byte_in_a_header_on_a_kept_alive_connection(gateway):
    # As an HTTP client library's session sends it: a good request first, then a header
    # value with a NUL (schemathesis probes exactly that) on the same connection.
    mark = gateway.log_mark()
    with connect(gateway.port) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        sock.sendall(b'GET /notes HTTP/1.1\r\nHost: x\r\nIf-None-Match: "a\x00b"\r\n\r\n')
        answers = parse_responses(read_all(sock))
    assert [answer.status for answer in answers] == [200, 400]
    refused = answers[1]
    assert refused.header("Content-Type") == "application/problem+json"
    assert "control character" in refused.json()["detail"]
    assert b"a\x00b" not in refused.body
    log = gateway.log_since(mark)
    assert "Traceback" not in log
    assert len([line for line in log.splitlines() if "refused a malformed request" in line]) == 1


def test_a_bad_chunk_arriving_while_the_body_is_read_is_a_408_at_body_timeout(gateway):
    # aiohttp's C parser queues that parse error as if it were the next request instead of
    # failing the body being read: the read ends at body_timeout (2 s here), and aiohttp then
    # reads ("lingers on") the body for up to 10 s before it closes the connection.
    mark = gateway.log_mark()
    started = time.monotonic()
    with connect(gateway.port, timeout=20) as sock:
        sock.sendall(LATE_BAD_CHUNK_HEAD)
        time.sleep(0.3)  # the handler is now reading the body
        sock.sendall(b"zz\r\nabc\r\n0\r\n\r\n")
        (answer,) = parse_responses(read_all(sock))
    assert time.monotonic() - started < 15  # body_timeout, then aiohttp's 10 s of lingering
    assert answer.status == 408
    assert answer.header("Content-Type") == "application/problem+json"
    assert answer.header("Connection") == "close"
    assert "Traceback" not in gateway.log_since(mark)
