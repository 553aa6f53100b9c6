"""The docs page's and the dashboard's files over HTTP: each coding decodes to the file as
shipped, is made once per file and coding (counted by its log line, not timed), and is a
representation of its own (ETag, Content-Length, Vary, 304s); with or without the compress
plugin."""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import brotli
import pytest
import zstandard

import gateway

STATIC = Path(gateway.__file__).with_name("static")
BUNDLE = "/docs/assets/swagger-ui/swagger-ui-bundle.js"
DECODERS = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompress(data),
}


@pytest.fixture
async def raw() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        auto_decompress=False, skip_auto_headers=["Accept-Encoding"]
    ) as session:
        yield session


async def get(raw, client, path: str, **headers: str) -> tuple[aiohttp.ClientResponse, bytes]:
    async with raw.get(client.make_url(path), headers=headers) as response:
        return response, await response.read()


def compressions(caplog: pytest.LogCaptureFixture, name: str, coding: str) -> int:
    return sum(
        1
        for record in caplog.records
        if record.name == "gateway.static_assets"
        and record.getMessage().startswith(f"compressed {name} once with {coding}:")
    )


@pytest.mark.parametrize(
    ("path", "file"),
    [
        (BUNDLE, "swagger-ui/swagger-ui-bundle.js"),
        ("/docs/assets/swagger-ui/swagger-ui.css", "swagger-ui/swagger-ui.css"),
        ("/_gateway/assets/dashboard.js", "dashboard/dashboard.js"),
    ],
)
async def test_each_coding_decodes_to_the_shipped_file(gateway_client, raw, path, file):
    client = await gateway_client()
    shipped = (STATIC / file).read_bytes()
    plain, body = await get(raw, client, path)
    assert body == shipped and "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    etags = {plain.headers["ETag"]}
    for coding, decode in DECODERS.items():
        response, encoded = await get(raw, client, path, **{"Accept-Encoding": coding})
        assert response.status == 200
        assert response.headers["Content-Encoding"] == coding
        assert int(response.headers["Content-Length"]) == len(encoded) < len(shipped) // 2
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["Content-Type"] == plain.headers["Content-Type"]
        assert decode(encoded) == shipped
        etag = response.headers["ETag"]
        assert etag.startswith('"') and etag not in etags  # strong, one per representation
        etags.add(etag)


async def test_each_file_is_compressed_once_per_coding(gateway_client, raw, caplog):
    caplog.set_level(logging.INFO, logger="gateway.static_assets")
    client = await gateway_client()
    name = "swagger-ui/swagger-ui-bundle.js"
    # Concurrent first requests share the work; later ones reuse it.
    first = await asyncio.gather(
        *(get(raw, client, BUNDLE, **{"Accept-Encoding": "br"}) for _ in range(4))
    )
    again = [await get(raw, client, BUNDLE, **{"Accept-Encoding": "gzip, br"}) for _ in range(3)]
    assert {body for _, body in first + again} == {first[0][1]}
    assert compressions(caplog, name, "br") == 1
    assert compressions(caplog, name, "gzip") == 0
    for _ in range(2):
        await get(raw, client, BUNDLE, **{"Accept-Encoding": "gzip"})
        await get(raw, client, BUNDLE)
    assert compressions(caplog, name, "gzip") == 1
    assert compressions(caplog, name, "br") == 1
    assert compressions(caplog, name, "zstd") == 0


async def test_conditional_requests_per_representation(gateway_client, raw):
    client = await gateway_client()
    br, _ = await get(raw, client, BUNDLE, **{"Accept-Encoding": "br"})
    plain, _ = await get(raw, client, BUNDLE)
    same = {"Accept-Encoding": "br", "If-None-Match": br.headers["ETag"]}
    unchanged, body = await get(raw, client, BUNDLE, **same)
    assert unchanged.status == 304 and body == b""
    assert unchanged.headers["ETag"] == br.headers["ETag"]
    assert unchanged.headers["Vary"] == "Accept-Encoding"
    other = {"Accept-Encoding": "gzip", "If-None-Match": br.headers["ETag"]}
    assert (await get(raw, client, BUNDLE, **other))[0].status == 200
    since = {"If-Modified-Since": plain.headers["Last-Modified"]}
    assert (await get(raw, client, BUNDLE, **since))[0].status == 304


@pytest.mark.parametrize(
    "path",
    [
        "/docs/assets/nothing.js",
        "/docs/assets/swagger-ui/",
        "/docs/assets/../docs.py",
        "/docs/assets/%2e%2e/docs.py",
        "/docs/assets/swagger-ui/..%2f..%2fdocs.py",
        "/_gateway/assets/../docs.html",
    ],
)
async def test_missing_files_and_paths_outside_are_404s(gateway_client, raw, path):
    client = await gateway_client()
    response, body = await get(raw, client, path)
    assert response.status == 404, body
    assert b"import" not in body


async def test_small_and_binary_files_are_sent_as_they_are(gateway_client, raw):
    client = await gateway_client()
    response, body = await get(raw, client, "/docs/assets/docs.js", **{"Accept-Encoding": "br"})
    assert response.status == 200 and body == (STATIC / "docs.js").read_bytes()
    assert "Content-Encoding" not in response.headers and "Vary" not in response.headers


async def test_the_compress_plugin_leaves_them_encoded_once(gateway_client, raw):
    client = await gateway_client({"plugins": {"compress": {}}}, builtins=["compress"])
    path = "/_gateway/assets/dashboard.js"
    response, body = await get(raw, client, path, **{"Accept-Encoding": "zstd"})
    assert response.headers.getall("Content-Encoding") == ["zstd"]
    assert (
        zstandard.ZstdDecompressor().decompress(body)
        == (STATIC / "dashboard" / "dashboard.js").read_bytes()
    )
    assert [t.strip() for t in response.headers["Vary"].split(",")].count("Accept-Encoding") == 1


async def test_the_openapi_document_is_encoded_once_per_coding(gateway_client, raw, caplog):
    caplog.set_level(logging.INFO, logger="gateway.static_assets")
    client = await gateway_client({"plugins": {"health": {}}}, builtins=["health"])
    plain, identity = await get(raw, client, "/openapi.json")
    assert plain.headers["Content-Type"] == "application/json"
    assert plain.headers["Cache-Control"] == "no-cache"
    assert b'"openapi"' in identity
    for coding, decode in DECODERS.items():
        for _ in range(2):
            response, body = await get(raw, client, "/openapi.json", **{"Accept-Encoding": coding})
            assert response.headers["Content-Encoding"] == coding
            assert response.headers["Vary"] == "Accept-Encoding"
            assert decode(body) == identity
        assert compressions(caplog, "openapi.json", coding) == 1
        again = {"Accept-Encoding": coding, "If-None-Match": response.headers["ETag"]}
        assert (await get(raw, client, "/openapi.json", **again))[0].status == 304
