"""No form of ``..`` reaches outside the instance's base path; what is safe passes as sent."""

from __future__ import annotations

import asyncio

import pytest

from tests.hostile import raw
from tests.proxy.conftest import url_of

ESCAPES = [
    "/svc/../admin",
    "/svc/%2e%2e/admin",
    "/svc/%2E%2E/admin",
    "/svc/.%2e/admin",
    "/svc/a/%2e%2e/%2e%2e/admin",
    "/svc/a/..%2fadmin",
    "/svc/a%2f..%2f..%2fadmin",
    "/svc/%252e%252e/admin",
    "/svc/a/..%5cadmin",
    "/svc/a\\..\\admin",
    "/svc/a/%00/x",
]


async def _raw(port: int, path: str) -> raw.RawResponse:
    return await asyncio.to_thread(raw.one, port, raw.request("GET", path, host=b"127.0.0.1"))


@pytest.mark.parametrize("path", ESCAPES)
async def test_dot_segments_never_leave_the_base(upstream, proxied, path) -> None:
    server = await upstream()
    client = await proxied([url_of(server) + "/base"])
    answer = await _raw(client.port, path)
    if answer.status == 200:
        forwarded = answer.json()["raw_path"]
        assert forwarded.startswith("/base/"), (path, forwarded)
        assert ".." not in forwarded and "%2e" not in forwarded.lower(), (path, forwarded)
    else:
        assert answer.status in (400, 404), (path, answer.status, answer.body)


async def test_dot_segments_inside_the_prefix_resolve(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([url_of(server) + "/base"])
    answer = await _raw(client.port, "/svc/a/b/%2e%2e/c/./d")
    assert answer.status == 200
    assert answer.json()["raw_path"] == "/base/a/c/d"
    encoded = await _raw(client.port, "/svc/caf%C3%A9/%20x")
    assert encoded.json()["raw_path"] == "/base/caf%C3%A9/%20x"
