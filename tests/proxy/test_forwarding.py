"""Forwarding: methods, paths, fields both ways, Location, credentials and identity."""

from __future__ import annotations

from typing import Any

from yarl import URL

from tests.proxy.conftest import url_of


def fields(body: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in body["headers"]:
        out.setdefault(name.lower(), []).append(value)
    return out


async def test_every_method_and_the_path_under_the_prefix(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server])
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        url = client.make_url("/svc/a/b%20c?x=1&y=%2F").with_query(None)
        url = URL(str(url) + "?x=1&y=%2F", encoded=True)
        response = await client.session.request(method, url)
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["method"] == method
        assert body["raw_path"] == "/a/b%20c?x=1&y=%2F"
    bare = await (await client.get("/svc")).json()
    assert bare["raw_path"] == "/"


async def test_prefix_kept_and_target_base_path(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([url_of(server) + "/api"], strip_prefix=False)
    body = await (await client.get("/svc/x")).json()
    assert body["raw_path"] == "/api/svc/x"


async def test_hop_by_hop_and_forwarding_fields(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server])
    response = await client.get(
        "/svc/h",
        headers={
            "Connection": "keep-alive, X-Secret-Hop",
            "X-Secret-Hop": "1",
            "Keep-Alive": "timeout=1",
            "TE": "trailers",
            "X-Forwarded-For": "6.6.6.6",
            "Forwarded": "for=6.6.6.6",
            "X-Forwarded-Host": "evil.example",
            "X-Kept": "yes",
        },
    )
    body = await response.json()
    sent = fields(body)
    for name in ("x-secret-hop", "keep-alive", "te", "connection"):
        assert name not in sent, (name, sent)
    assert sent["x-forwarded-for"] == ["127.0.0.1"]
    assert sent["forwarded"] == [f'for=127.0.0.1;proto=http;host="{client.host}:{client.port}"']
    assert sent["x-forwarded-host"] == [f"{client.host}:{client.port}"]
    assert sent["x-forwarded-proto"] == ["http"]
    assert sent["via"] == ["1.1 gateway"]
    assert sent["x-kept"] == ["yes"]
    assert sent["host"] == [f"127.0.0.1:{server.port}"]
    assert sent["x-request-id"] == [response.headers["X-Request-ID"]]
    # The answer's own hop-by-hop fields, and those its Connection names, stay behind.
    assert "X-Upstream-Secret" not in response.headers
    assert "Keep-Alive" not in response.headers
    assert response.headers["Via"] == "1.1 gateway"
    assert response.headers["Server"] == "gateway"


async def test_the_proxy_plugin_forwards_the_believed_client(upstream, proxied):
    server = await upstream()
    client = await proxied([server], gateway={"trusted_proxies": ["127.0.0.1"]})
    headers = {**{"X-Forwarded-For": "198.51.100.7"}, "Forwarded": "for=10.3.0.1;host=evil.example"}
    sent = fields(await (await client.get("/svc/h", headers=headers)).json())
    assert sent["x-forwarded-for"] == ["198.51.100.7"]
    assert sent["forwarded"] == [f'for=198.51.100.7;proto=http;host="{client.host}:{client.port}"']
    assert sent["x-forwarded-host"] == [f"{client.host}:{client.port}"]


async def test_preserve_host(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server], preserve_host=True)
    sent = fields(await (await client.get("/svc/", headers={"Host": "api.example"})).json())
    assert sent["host"] == ["api.example"]


async def test_credentials_removed_unless_passed(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server])
    headers = {"Authorization": "Bearer t", "X-API-Key": "k", "X-Gateway-Identity": "admin"}
    sent = fields(await (await client.get("/svc/", headers=headers)).json())
    assert "authorization" not in sent and "x-api-key" not in sent
    assert "x-gateway-identity" not in sent  # never the client's own claim
    passing = await proxied([server], prefix="/pass", pass_credentials=True)
    sent = fields(await (await passing.get("/pass/", headers=headers)).json())
    assert sent["authorization"] == ["Bearer t"] and sent["x-api-key"] == ["k"]


async def test_location_rewritten_under_the_prefix(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server])
    origin = url_of(server)
    response = await client.get(
        "/svc/redirect", params={"to": f"{origin}/next?a=1"}, allow_redirects=False
    )
    assert response.status == 302
    gateway_origin = f"http://{client.host}:{client.port}"
    assert response.headers["Location"] == f"{gateway_origin}/svc/next?a=1"
    assert response.headers["Content-Location"] == f"{gateway_origin}/svc/next?a=1"
    response = await client.get("/svc/redirect", params={"to": "/x/y"}, allow_redirects=False)
    assert response.headers["Location"] == "/svc/x/y"
    elsewhere = "https://other.example/x"
    response = await client.get("/svc/redirect", params={"to": elsewhere}, allow_redirects=False)
    assert response.headers["Location"] == elsewhere


async def test_request_body_streamed(upstream, proxied) -> None:
    import hashlib

    server = await upstream()
    client = await proxied([server])
    data = bytes(range(256)) * 4096  # 1 MiB

    async def pieces():
        for start in range(0, len(data), 100_000):
            yield data[start : start + 100_000]

    body = await (await client.post("/svc/up", data=pieces())).json()
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    sized = await (await client.put("/svc/up", data=data)).json()
    assert sized["size"] == len(data)
    assert ["Content-Length", str(len(data))] in sized["headers"]


async def test_streamed_answer_and_head(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server])
    response = await client.get("/svc/stream", params={"size": str(3 * 65536 + 5)})
    assert response.headers["Content-Length"] == str(3 * 65536 + 5)
    assert len(await response.read()) == 3 * 65536 + 5
    head = await client.head("/svc/stream", params={"size": "10"})
    assert head.status == 200
    assert await head.read() == b""


async def test_an_empty_post_keeps_its_content_length(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server])
    body = await (await client.post("/svc/x", data=b"")).json()
    assert ["Content-Length", "0"] in body["headers"]
    assert body["size"] == 0


async def test_expect_100_continue_after_the_size_check(upstream, proxied) -> None:
    import asyncio

    server = await upstream()
    client = await proxied([server], max_body_size=1000)

    async def send(length: int, body: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(
            f"POST /svc/x HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
            "Expect: 100-continue\r\n\r\n".encode()
        )
        first = await asyncio.wait_for(reader.read(65536), 10)
        if first.startswith(b"HTTP/1.1 100"):
            writer.write(body)
            first += await asyncio.wait_for(reader.read(65536), 10)
        writer.close()
        return first

    refused = await send(50 * 1024 * 1024, b"")
    assert refused.startswith(b"HTTP/1.1 413"), refused[:100]
    assert b"Connection: close" in refused
    admitted = await send(5, b"hello")
    assert admitted.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200"), admitted[:100]
