"""The compress plugin through HTTP: each coding decoded by an independent decoder (the gzip
module, Brotli's, zstandard's, curl's) gives the identity answer byte for byte; the client's
q-values; the answers left alone; Vary and ETag; streamed answers flushed write by write."""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import brotli
import pytest

from gateway.config import ConfigError
from gateway.testing import gateway_app
from tests.compress.conftest import (
    DOCUMENT,
    EVENTS,
    STRONG,
    decode,
    read_events_one_by_one,
    vary_tokens,
)


async def fetch(
    raw, client, path: str, accept: str | None, headers: dict[str, str] | None = None, **kw: Any
) -> tuple[Any, bytes]:
    headers = dict(headers or {})
    if accept is not None:
        headers["Accept-Encoding"] = accept
    async with raw.get(client.make_url(path), headers=headers, **kw) as response:
        return response, await response.read()


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
async def test_each_coding_decodes_to_the_identity_answer(compressed, raw, coding):
    client = await compressed()
    plain, identity = await fetch(raw, client, "/sample/document", "identity")
    assert identity == DOCUMENT and "Content-Encoding" not in plain.headers
    response, body = await fetch(raw, client, "/sample/document", coding)
    assert response.headers["Content-Encoding"] == coding
    assert int(response.headers["Content-Length"]) == len(body) < len(DOCUMENT) // 3
    assert decode(coding, body) == identity
    assert "accept-encoding" in vary_tokens(response.headers)
    assert "accept-encoding" in vary_tokens(plain.headers)  # identity too: it could vary


async def test_curl_decodes_what_it_asks_for(compressed, tmp_path):
    """curl --compressed asks for the codings its libcurl decodes, and decodes the answer."""
    client = await compressed()
    out = tmp_path / "body"
    url = client.make_url("/sample/document")
    done = await asyncio.to_thread(
        subprocess.run,
        ["curl", "-sS", "--compressed", "-D", "-", "-o", str(out), str(url)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "content-encoding:" in done.stdout.lower()
    assert out.read_bytes() == DOCUMENT


@pytest.mark.parametrize(
    ("accept", "codings", "expected"),
    [
        ("gzip, br, zstd", None, "zstd"),  # equal weights: the server's order
        ("gzip, br", None, "br"),
        ("gzip;q=0.5, br;q=0.9", None, "br"),
        ("gzip;q=1.0, br;q=0.9, zstd;q=0.8", None, "gzip"),
        ("GZIP;Q=0.7", None, "gzip"),  # case-insensitive
        ("x-gzip", None, "gzip"),
        ("*", None, "zstd"),
        ("*;q=0.5, zstd;q=0", None, "br"),  # * is every coding not named
        ("br;q=0, gzip;q=0", None, None),
        ("identity;q=0", None, None),  # nothing acceptable offered: identity all the same
        ("gzip;q=0.2, identity;q=0.5", None, None),  # the client prefers the body as it is
        ("gzip;q=0.5, identity;q=0.5", None, "gzip"),
        ("", None, None),
        (None, None, None),  # no field: no coding
        ("compress, deflate", None, None),
        ("br, gzip", ["gzip", "br"], "gzip"),  # the operator's order
        ("zstd", ["gzip"], None),
        ("gzip;q=abc, br", None, "br"),  # a weight that does not parse refuses its coding
    ],
)
async def test_the_clients_weights_choose_the_coding(compressed, raw, accept, codings, expected):
    client = await compressed(**({"codings": codings} if codings else {}))
    response, body = await fetch(raw, client, "/sample/document", accept)
    assert response.headers.get("Content-Encoding") == expected
    assert decode(expected, body) == DOCUMENT
    assert "accept-encoding" in vary_tokens(response.headers)


@pytest.mark.parametrize(
    ("path", "method", "headers", "vary"),
    [
        ("/sample/document?cc=no-transform", "GET", {}, False),
        ("/sample/document?cc=public,%20No-Transform", "GET", {}, False),
        ("/sample/encoded", "GET", {}, False),
        ("/sample/small", "GET", {}, False),  # under min_size
        ("/sample/typed?type=image/png", "GET", {}, False),
        ("/sample/typed?type=application/octet-stream", "GET", {}, False),
        ("/sample/document", "HEAD", {}, False),
        ("/sample/document", "GET", {"Range": "bytes=0-99"}, False),
        ("/sample/partial", "GET", {}, False),
        ("/sample/empty", "GET", {}, False),
        ("/sample/not-modified", "GET", {}, False),
        ("/sample/sized-stream", "GET", {}, False),  # streamed with its own Content-Length
    ],
)
async def test_answers_left_as_they_are(compressed, raw, path, method, headers, vary):
    client = await compressed()
    async with raw.request(
        method, client.make_url(path), headers={"Accept-Encoding": "gzip, br, zstd", **headers}
    ) as response:
        body = await response.read()
    assert response.headers.get("Content-Encoding") in (None, "gzip")  # /encoded's own gzip
    if path == "/sample/encoded":
        assert decode("gzip", body) == DOCUMENT  # once, not twice
    elif path == "/sample/small":
        assert body == b'{"ok": true}'
    elif response.status == 200 and method == "GET":
        assert body == DOCUMENT
    assert ("accept-encoding" in vary_tokens(response.headers)) == vary


async def test_media_types_and_min_size_are_the_operators(compressed, raw):
    client = await compressed(types=["image/png"], min_size=0)
    png, _ = await fetch(raw, client, "/sample/typed?type=image/png", "gzip")
    json_answer, _ = await fetch(raw, client, "/sample/document", "gzip")
    small, _ = await fetch(raw, client, "/sample/small", "gzip")
    assert png.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in json_answer.headers
    assert "Content-Encoding" not in small.headers  # not a listed type any more


async def test_type_patterns_match_json_suffixes(compressed, raw):
    client = await compressed()
    for media in ("application/problem+json", "text/csv", "image/svg+xml", "application/xml"):
        response, body = await fetch(raw, client, "/sample/typed", "br", params={"type": media})
        assert response.headers.get("Content-Encoding") == "br", (media, response.headers)
        assert brotli.decompress(body) == DOCUMENT


async def test_strong_etags_are_made_weak_and_weak_ones_kept(compressed, raw):
    client = await compressed()
    encoded, _ = await fetch(raw, client, "/sample/document", "gzip")
    plain, _ = await fetch(raw, client, "/sample/document", "identity")
    weak, _ = await fetch(raw, client, "/sample/weak", "gzip")
    assert encoded.headers["ETag"] == "W/" + STRONG
    assert plain.headers["ETag"] == STRONG
    assert weak.headers["ETag"] == 'W/"w"'


async def test_a_304_names_the_copy_the_client_holds(compressed, raw):
    client = await compressed()
    encoded, _ = await fetch(raw, client, "/sample/document", "br")
    held = encoded.headers["ETag"]
    again = {"If-None-Match": held}
    unchanged, body = await fetch(raw, client, "/sample/document", "br", headers=again)
    assert unchanged.status == 304 and body == b""
    assert unchanged.headers["ETag"] == held == "W/" + STRONG
    assert "accept-encoding" in vary_tokens(unchanged.headers)
    plain = {"If-None-Match": STRONG}
    unchanged, _ = await fetch(raw, client, "/sample/document", "identity", headers=plain)
    assert unchanged.status == 304 and unchanged.headers["ETag"] == STRONG


async def test_a_websocket_is_not_touched(compressed):
    client = await compressed()
    async with client.ws_connect("/sample/ws", headers={"Accept-Encoding": "gzip"}) as ws:
        message = await asyncio.wait_for(ws.receive_str(), 10)
    assert message == "hello " * 500


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
async def test_server_sent_events_arrive_one_by_one(compressed, raw, coding):
    """The handler writes an event only once the test has decoded the one before: without a
    flush per write the test would wait for an event the server keeps in its compressor."""
    client = await compressed()
    url = client.make_url("/sample/events")

    async def release(i: int) -> None:
        released = await raw.get(client.make_url(f"/sample/release/{i}"))
        assert released.status == 204

    async with raw.get(url, headers={"Accept-Encoding": coding}) as response:
        assert response.headers["Content-Encoding"] == coding
        assert "Content-Length" not in response.headers
        assert "accept-encoding" in vary_tokens(response.headers)
        await read_events_one_by_one(response, coding, release)


async def test_a_stream_is_left_plain_for_a_client_that_asks_no_coding(compressed, raw):
    client = await compressed()
    url = client.make_url("/sample/events")
    async with raw.get(url, headers={"Accept-Encoding": "identity"}) as response:
        assert "Content-Encoding" not in response.headers
        assert "accept-encoding" in vary_tokens(response.headers)
        first = await asyncio.wait_for(response.content.readuntil(b"\n\n"), 10)
        assert first == EVENTS[0]
        for i in range(len(EVENTS) - 1):
            await raw.get(client.make_url(f"/sample/release/{i}"))
        assert first + await response.content.read() == b"".join(EVENTS)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"codings": ["deflate"]}, "codings.0"),
        ({"codings": ["gzip", "gzip"]}, "list each coding once"),
        ({"levels": {"gzip": 12}}, "levels.gzip = 12 is out of range: gzip takes 1 to 9"),
        ({"levels": {"br": -1}}, "br takes 0 to 11"),
        ({"min_size": -1}, "greater than or equal to 0"),
        ({"types": ["json"]}, "is not a media type"),
    ],
)
async def test_bad_settings_are_config_errors(tmp_path, settings, message):
    with pytest.raises(ConfigError) as caught:
        await gateway_app({"plugins": {"health": {}, "compress": settings}}, config_dir=tmp_path)
    assert "plugins.compress" in str(caught.value) and message in str(caught.value)
