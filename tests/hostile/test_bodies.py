"""Request bodies: accepted codings, 415 for the rest, 400 for corrupt data, the limit after
inflating, and a compressed body no handler reads never inflated."""

import gzip
import zlib

import orjson
import pytest

from tests.hostile.raw import one, request
from tests.hostile.test_hosts import count_notes

pytestmark = pytest.mark.slow  # each module serves a real gateway process

NOTE = orjson.dumps({"title": "compressed"})
JSON = {"Content-Type": "application/json"}


def post(port, body, coding, path="/notes"):
    headers = {**JSON, "Content-Encoding": coding} if coding is not None else JSON
    return one(port, request("POST", path, headers=headers, body=body))


def bomb(inflated: int) -> bytes:
    """A gzip body of ``inflated`` zero bytes: about 1000 times smaller than that."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(inflated // len(block))]
    return b"".join(parts) + compressor.flush()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(NOTE, mtime=0)),
        ("x-gzip", gzip.compress(NOTE, mtime=0)),
        ("GZip", gzip.compress(NOTE, mtime=0)),
        ("deflate", zlib.compress(NOTE)),
        ("deflate", zlib.compress(NOTE)[2:-4]),  # raw deflate, as some clients send it
        ("identity", NOTE),
        (None, NOTE),
    ],
)
def test_accepted_codings_are_decoded(gateway, coding, body):
    answer = post(gateway.port, body, coding)
    assert answer.status == 201, answer.body
    assert answer.json()["title"] == "compressed"


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("br", NOTE),
        ("zstd", NOTE),
        ("compress", NOTE),
        ("made-up", NOTE),
        ("gzip, gzip", gzip.compress(gzip.compress(NOTE, mtime=0), mtime=0)),
    ],
)
def test_other_codings_are_415_and_store_nothing(gateway, coding, body):
    before = count_notes(gateway.port)
    answer = post(gateway.port, body, coding)
    assert answer.status == 415
    assert answer.header("Content-Type") == "application/problem+json"
    assert answer.header("Accept-Encoding") == "gzip, deflate"
    assert answer.header("X-Request-ID")
    assert "install" not in answer.json()["detail"]
    assert count_notes(gateway.port) == before


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", b"this is not gzip"),
        ("gzip", gzip.compress(NOTE, mtime=0)[:-6]),  # truncated
        ("gzip", gzip.compress(NOTE, mtime=0) + b"trailing"),
        ("deflate", b"\x78\x9cnot deflate at all"),
        ("gzip", b""),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/notes"), ("PUT", "/notes/1"), ("PATCH", "/notes/1")]
)
def test_corrupt_data_is_400_on_every_body_endpoint(gateway, coding, body, method, path):
    post(gateway.port, NOTE, None)  # note 1 exists
    before = count_notes(gateway.port)
    mark = gateway.log_mark()
    headers = {**JSON, "Content-Encoding": coding}
    answer = one(gateway.port, request(method, path, headers=headers, body=body))
    assert answer.status == 400, answer.body
    assert answer.header("Content-Type") == "application/problem+json"
    assert f"not valid {coding} data" in answer.json()["detail"]
    assert count_notes(gateway.port) == before
    assert "Traceback" not in gateway.log_since(mark)


def test_the_limit_applies_to_the_inflated_body(gateway):
    description = "x" * (1024 * 1024)  # over the notes' 1 MiB limit once inflated
    body = gzip.compress(orjson.dumps({"title": "big", "description": description}))
    assert len(body) < 10_000
    answer = post(gateway.port, body, "gzip")
    assert answer.status == 413
    assert answer.json()["max_body_size"] == 1024 * 1024


def test_a_bomb_is_refused_after_inflating_the_limit_and_ignored_where_unread(gateway):
    payload = bomb(256 * 1024 * 1024)  # 256 KiB that would inflate to 256 MiB
    refused = post(gateway.port, payload, "gzip")
    assert refused.status == 413
    ignored = post(gateway.port, payload, "gzip", path="/health/live")
    assert ignored.status == 405  # /health/live takes GET only: its body is never inflated
