"""No byte of a refused request reaches the log: the parser's own message quotes the refused
line (a whole ``Authorization`` value with it), so the gateway logs only the kind of refusal.

Each case goes over a raw socket to a real ``gateway serve`` process, once per log format,
and the process's captured output is searched for the secret.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from tests.hostile.conftest import ServedGateway, serve, stop
from tests.hostile.raw import exchange

pytestmark = pytest.mark.slow  # each module serves real gateway processes

SECRET = b"gw_9fQ2xS3cr3tK3yV4lu3"
HEAD = b"GET /health/live HTTP/1.1\r\nHost: x\r\n"
AUTH = b"Authorization: Bearer " + SECRET
CASES = [
    ("stray CR at the end", HEAD + AUTH + b"\r\r\n\r\n", 400),
    ("stray CR inside", HEAD + AUTH + b"\rX\r\n\r\n", 400),
    ("trailing NUL", HEAD + AUTH + b"\x00\r\n\r\n", 400),
    ("trailing DEL", HEAD + AUTH + b"\x7f\r\n\r\n", 400),
    ("trailing 0x01", HEAD + AUTH + b"\x01\r\n\r\n", 400),
    ("bare LF", HEAD + AUTH + b"\nX-A: 1\r\n\r\n", 400),
    ("obs-fold", HEAD + b"Authorization: Bearer\r\n " + SECRET + b"\r\n\r\n", 400),
    ("space before the colon", HEAD + b"Authorization : Bearer " + SECRET + b"\r\n\r\n", 400),
    ("header over 8190 bytes", HEAD + AUTH + b"x" * 9000 + b"\r\n\r\n", 431),
    ("header name over 8190 bytes", HEAD + b"X-" + SECRET + b"y" * 9000 + b": 1\r\n\r\n", 431),
    (
        "target over 8190 bytes",
        b"GET /health/live?key=" + SECRET + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        414,
    ),
    (
        "control byte in the target",
        b"GET /health/live?key=" + SECRET + b"\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
]


@pytest.fixture(
    scope="module",
    params=[("text", False), ("json", False), ("text", True)],
    ids=["text", "json", "text-python-parser"],
)
def served(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[tuple[str, ServedGateway]]:
    log_format, python_parser = request.param
    config = f'[gateway]\nlog_format = "{log_format}"\n[plugins.health]\n'
    env = {"AIOHTTP_NO_EXTENSIONS": "1"} if python_parser else None
    gateway = serve(tmp_path_factory.mktemp("parser-logs"), config, env=env)
    yield log_format, gateway
    stop(gateway)


@pytest.mark.parametrize(("raw", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_refused_request_is_logged_without_any_of_its_bytes(served, raw, status):
    log_format, gateway = served
    mark = gateway.log_mark()
    (answer,) = exchange(gateway.port, raw, timeout=5)
    assert answer.status == status
    assert answer.header("Content-Type") == "application/problem+json"
    assert SECRET not in answer.body
    log = gateway.log_since(mark)
    refused = [line for line in log.splitlines() if "refused a malformed request" in line]
    assert len(refused) == 1, log
    assert f"with {status}" in refused[0]
    assert answer.json()["detail"] in refused[0]  # the kind of refusal, said once
    if log_format == "json":
        assert orjson.loads(refused[0])["request_id"] == answer.header("X-Request-ID")
    for part in (SECRET, SECRET[:8], SECRET[-8:]):
        assert part.decode() not in log, log
    assert "Traceback" not in log


def test_the_search_would_find_the_secret_where_a_valid_request_logs_it(served):
    # A valid request's target is in its access line: the search above looks where the
    # secret would be if any part of the request were logged.
    _, gateway = served
    mark = gateway.log_mark()
    target = b"/health/live?key=" + SECRET
    (answer,) = exchange(
        gateway.port,
        b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        timeout=5,
    )
    assert answer.status == 200
    assert SECRET.decode() in gateway.log_since(mark)
