"""The files the host serves itself (the docs page's Swagger UI, the dashboard's scripts and
styles): read once, and each one compressed once per coding, never per request.

Each file is read from the package the first time it is asked for and kept in memory with
its strong ``ETag`` (a hash of its bytes). A client that accepts zstd, Brotli or gzip
(``Accept-Encoding``, read by :func:`gateway.choose_coding`) gets that coding of it, made the
first time that file is asked for in that coding, in a worker thread so the event loop keeps
serving (concurrent first requests wait for the same work), then kept too. Whether or not the
compress plugin is enabled: these are the host's own answers, and Swagger UI's bundle is
1.7 MB as it is and 360-460 KB encoded.

Each coding is a representation of its own: its own strong ``ETag`` (the file's, with the
coding after a dash), its own ``Content-Length``, and ``Vary: Accept-Encoding`` on every
answer of a compressible file. ``If-None-Match`` and ``If-Modified-Since`` answer 304.
``Range`` is ignored (RFC 9110 lets a server send the whole file): these files are small
enough, and a range of one coding is not a range of another.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from aiohttp import hdrs, web

from gateway.encodings import CODINGS, choose_coding, compress_whole, is_compressible

log = logging.getLogger("gateway.static_assets")

# The best ratio each coding has, for files compressed once; above LARGE the levels that keep
# the first request's wait under half a second (Swagger UI's 1.7 MB bundle: Brotli 11 takes
# 3 s for 9% less than Brotli 9's 0.16 s; zstd 19 1 s for 5% less than zstd 15's 0.4 s).
LEVELS = {"gzip": 9, "br": 11, "zstd": 19}
LARGE_LEVELS = {"gzip": 9, "br": 9, "zstd": 15}
LARGE = 256 * 1024
# Smaller files gain too little from a coding to be worth a second representation,
MIN_SIZE = 1024  # as the compress plugin's min_size


@dataclass
class EncodedAsset:
    """One file (or document) in memory, with each coding of it made so far."""

    name: str
    body: bytes
    content_type: str
    etag_base: str  # without quotes
    last_modified: datetime
    compressible: bool
    variants: dict[str, bytes] = field(default_factory=dict)
    making: dict[str, asyncio.Future[bytes]] = field(default_factory=dict)


class StaticAssets:
    """Serves the files under ``directory`` at ``{path}`` of the route it is added to."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._assets: dict[str, EncodedAsset] = {}
        self._reading: dict[str, asyncio.Future[EncodedAsset | None]] = {}

    def add_route(self, root: web.Application, prefix: str) -> None:
        root.router.add_get(prefix + "/{path:.+}", self.view)

    async def view(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["path"]
        asset = await self._asset(name)
        if asset is None:
            raise web.HTTPNotFound()
        return await answer(request, asset)

    async def _asset(self, name: str) -> EncodedAsset | None:
        asset = self._assets.get(name)
        if asset is not None:
            return asset
        reading = self._reading.get(name)
        if reading is None:
            reading = asyncio.ensure_future(asyncio.to_thread(self._read, name))
            self._reading[name] = reading
        try:
            found = await asyncio.shield(reading)
        finally:
            if reading.done():
                self._reading.pop(name, None)
        if found is not None:  # only files that exist are kept: the memory is bounded
            self._assets[name] = found
        return found

    def _read(self, name: str) -> EncodedAsset | None:
        if any(part.startswith(".") or part == "" for part in name.split("/")):
            return None  # no hidden files, no "..", no "//"
        path = (self.directory / name).resolve()
        if not path.is_relative_to(self.directory) or not path.is_file():
            return None
        body = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        modified = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
        return EncodedAsset(
            name=name,
            body=body,
            content_type=content_type,
            etag_base=hashlib.sha256(body).hexdigest()[:20],
            last_modified=modified,
            compressible=len(body) >= MIN_SIZE and is_compressible(content_type),
        )


def document_asset(name: str, body: bytes, content_type: str) -> EncodedAsset:
    """A document the host builds once per process (``/openapi.json``), served like a file."""
    return EncodedAsset(
        name=name,
        body=body,
        content_type=content_type,
        etag_base=hashlib.sha256(body).hexdigest()[:20],
        last_modified=datetime.now(UTC).replace(microsecond=0),
        compressible=len(body) >= MIN_SIZE and is_compressible(content_type),
    )


async def answer(
    request: web.Request, asset: EncodedAsset, headers: dict[str, str] | None = None
) -> web.Response:
    """``asset`` in the coding the request prefers, with its validators; 304 when the
    request's validator matches. ``headers`` are added to the answer (``Cache-Control``)."""
    coding = None
    if asset.compressible:
        coding = choose_coding(request.headers.get(hdrs.ACCEPT_ENCODING), CODINGS)
    etag = f'"{asset.etag_base}-{coding}"' if coding else f'"{asset.etag_base}"'
    fields = dict(headers or {})
    fields[hdrs.ETAG] = etag
    fields[hdrs.LAST_MODIFIED] = format_datetime(asset.last_modified, usegmt=True)
    if asset.compressible:
        fields[hdrs.VARY] = "Accept-Encoding"
    if _not_modified(request, etag, asset.last_modified):
        return web.Response(status=304, headers=fields)
    body = asset.body
    if coding is not None:
        fields[hdrs.CONTENT_ENCODING] = coding
        body = await _variant(asset, coding)
    fields[hdrs.CONTENT_TYPE] = asset.content_type
    return web.Response(body=body, headers=fields)


async def _variant(asset: EncodedAsset, coding: str) -> bytes:
    made = asset.variants.get(coding)
    if made is not None:
        return made
    making = asset.making.get(coding)
    if making is None:
        levels = LARGE_LEVELS if len(asset.body) > LARGE else LEVELS
        making = asyncio.ensure_future(
            asyncio.to_thread(compress_whole, coding, asset.body, levels[coding])
        )
        asset.making[coding] = making
        making.add_done_callback(lambda done: _made(asset, coding, done))
    return await asyncio.shield(making)  # a client that leaves does not stop the work


def _made(asset: EncodedAsset, coding: str, done: asyncio.Future[bytes]) -> None:
    asset.making.pop(coding, None)
    if done.cancelled() or done.exception() is not None:
        return
    made = done.result()
    asset.variants[coding] = made
    log.info(  # once per file and coding in a process's life: what tests/host count
        "compressed %s once with %s: %d bytes to %d",
        asset.name,
        coding,
        len(asset.body),
        len(made),
    )


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    if_none_match = request.headers.get(hdrs.IF_NONE_MATCH)
    if if_none_match is not None:  # RFC 9110 §13.1.3: If-Modified-Since is then ignored
        wanted = etag.removeprefix("W/")
        return any(
            tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted
            for tag in if_none_match.split(",")
        )
    if_modified_since = request.headers.get(hdrs.IF_MODIFIED_SINCE)
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # a date that does not parse is ignored (RFC 9110 §13.1.3)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified <= since
