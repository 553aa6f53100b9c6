"""A client that hangs up half-way through its body is not a server error."""

import time

from tests.hostile.metrics import delta, request_counts
from tests.hostile.raw import connect

CLIENTS = 20


def test_clients_dropping_mid_body_log_no_traceback_and_count_no_500(gateway):
    before = request_counts(gateway.port)
    mark = gateway.log_mark()
    for _ in range(CLIENTS):
        with connect(gateway.port) as sock:
            sock.sendall(
                b"POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"title": "never fin'
            )
            time.sleep(0.05)  # the handler is reading the body when the client goes
    time.sleep(0.5)
    log = gateway.log_since(mark)
    assert "Traceback" not in log
    assert "unhandled" not in log.lower()
    assert log.count("client closed the connection during POST /notes") == CLIENTS
    counted = delta(before, request_counts(gateway.port))
    assert ("notes", "/notes", "POST", "500") not in counted
    assert counted[("notes", "/notes", "POST", "499")] == CLIENTS
