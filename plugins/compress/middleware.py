"""The compress middleware: an answer encoded by the client's ``Accept-Encoding``.

An answer built in memory is compressed here, after the handler returns it (in a worker
thread when it is large, so the event loop keeps serving). A streamed answer (the handler
calls ``await response.prepare(request)`` and writes: server-sent events, the proxy
plugin's bodies) is encoded as it is prepared, through ``gateway.on_prepare``: each write is
compressed and flushed, so every event reaches the client when it is written.

Left as they are: ``HEAD`` requests, range requests and 206 answers (a range of the encoded
body is not the range asked), 1xx/204/304 answers, WebSockets, answers already encoded
(``Content-Encoding``, or aiohttp's own ``enable_compression``), answers with
``Cache-Control: no-transform``, media types not listed, answers in memory under
``min_size``, and streamed answers that state their own ``Content-Length``.

Every answer that could have been encoded says ``Vary: Accept-Encoding``, also when this
client asked for no coding: a shared cache must not hand it to a client that asked for one,
nor the other way round. An encoded answer's strong ``ETag`` is made weak (``W/``): the bytes
differ from the identity answer's, while the content is the same (RFC 9110 §8.8.1).

A client that writes back what it read sends that weakened tag in ``If-Match``, which compares
strongly (RFC 9110 §13.1.1) and so never matches a weak tag: every such write would be a 412.
The weakening is this plugin's own, so the handler is given the tag as it made it: each
``W/"x"`` of ``If-Match`` is read as ``"x"`` (:func:`strong_if_match`; docs/compress.md says
why, and what nginx, Apache and Jetty do).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import hdrs, web
from multidict import CIMultiDict

from gateway import (
    Handler,
    Middleware,
    Priority,
    choose_coding,
    compress_whole,
    compressor,
    is_compressible,
    on_prepare,
)
from gateway_plugins.compress.settings import CompressSettings

# Bodies above this are compressed in a worker thread: at the default levels a megabyte takes
# milliseconds (zstd) to tens of milliseconds (br), too long to hold the event loop.
OFF_LOOP = 256 * 1024
_NOT_ENCODED = frozenset({204, 206, 304})
# One entity tag, weak or not: whole tags are matched left to right, so a "W/" inside an
# opaque tag ('"aW/"') is never taken for a prefix.
_ENTITY_TAG = re.compile(r'(W/)?("[^"]*")')


class Compress:
    def __init__(self, settings: CompressSettings) -> None:
        self.codings = tuple(settings.codings)
        self.levels: dict[str, int] = {str(c): level for c, level in settings.levels.items()}
        self.min_size = settings.min_size
        self.types = tuple(settings.types)

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        headers = request.headers
        if (
            request.method == hdrs.METH_HEAD
            or hdrs.RANGE in headers
            or hdrs.UPGRADE in headers  # a WebSocket handshake: frames are not a body
        ):
            return await handler(request)
        coding = choose_coding(headers.get(hdrs.ACCEPT_ENCODING), self.codings)
        stream = _StreamEncoder(self, coding)
        on_prepare(request, stream.prepared)
        if hdrs.IF_MATCH in headers:
            # After on_prepare: the clone shares the request's list of callbacks, so those
            # registered inside run for answers the host prepares with the request itself.
            request = strong_if_match(request)
        try:
            response = await handler(request)
        except web.HTTPNotModified as answer:  # a 304 is raised through the chain
            stream.skip = True
            revalidated(request, answer)
            raise
        if not response.prepared:
            stream.skip = True  # built in memory: encoded here, not as it is prepared
            if response.status == 304:
                revalidated(request, response)
            elif type(response) is web.Response:  # not a file (sendfile) nor a WebSocket
                await self.encode_in_memory(response, coding)
        return response

    def may_encode(self, response: web.StreamResponse) -> bool:
        """Whether the answer itself allows an encoding (the client aside)."""
        status = response.status
        if status < 200 or status in _NOT_ENCODED or response.compression:
            return False
        headers = response.headers
        encoded = headers.get(hdrs.CONTENT_ENCODING)
        if encoded is not None and encoded.strip().lower() != "identity":
            return False
        if hdrs.CONTENT_RANGE in headers:
            return False
        cache_control = headers.get(hdrs.CACHE_CONTROL)
        if cache_control is not None and "no-transform" in cache_control.lower():
            return False
        content_type = headers.get(hdrs.CONTENT_TYPE)
        return content_type is not None and is_compressible(content_type, self.types)

    async def encode_in_memory(self, response: web.Response, coding: str | None) -> None:
        body = response.body
        if not isinstance(body, bytes | bytearray) or len(body) < self.min_size:
            return  # a payload object (a file, a stream) or too small to gain
        if not self.may_encode(response):
            return
        add_vary(response.headers)
        if coding is None:
            return
        level = self.levels[coding]
        if len(body) > OFF_LOOP:
            encoded = await asyncio.to_thread(compress_whole, coding, bytes(body), level)
        else:
            encoded = compress_whole(coding, bytes(body), level)
        response.body = encoded
        mark_encoded(response.headers, coding)

    def middlewares(self) -> list[Middleware]:
        return [Middleware("compress", self.handle, Priority.COMPRESSION)]


class _StreamEncoder:
    """Encodes one request's streamed answer as the handler writes it."""

    def __init__(self, owner: Compress, coding: str | None) -> None:
        self.owner = owner
        self.coding = coding
        self.skip = False

    async def prepared(self, request: web.BaseRequest, response: web.StreamResponse) -> None:
        if self.skip or type(response) is not web.StreamResponse:
            # Only a plain StreamResponse writes its body through write(): a Response
            # prepared by its handler has counted its Content-Length already, a
            # FileResponse sends the file itself, a WebSocket sends frames.
            return
        if hdrs.CONTENT_LENGTH in response.headers or not self.owner.may_encode(response):
            return
        add_vary(response.headers)
        coding = self.coding
        if coding is None:
            return
        mark_encoded(response.headers, coding)
        _wrap_writes(response, compressor(coding, self.owner.levels[coding]))


def _wrap_writes(response: web.StreamResponse, made: Any) -> None:
    """Route the response's public ``write``/``write_eof`` through ``made``, flushing each
    write so that what was written decodes at once (an event, a chunk of a download)."""
    write = response.write
    write_eof = response.write_eof
    finished = False

    async def encoded_write(data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        await write(made.compress(bytes(data)) + made.flush())

    async def encoded_write_eof(data: bytes = b"") -> None:
        nonlocal finished
        if finished:  # aiohttp calls write_eof again after the handler did
            await write_eof()
            return
        finished = True
        await write_eof((made.compress(data) if data else b"") + made.finish())

    response.write = encoded_write  # type: ignore[method-assign]
    response.write_eof = encoded_write_eof  # type: ignore[method-assign]


def revalidated(request: web.Request, response: web.StreamResponse) -> None:
    """A 304 to a client whose stored copy is an encoded one (it sent back ``W/"v1"`` where
    the handler's answer says ``"v1"``): the 304 names the copy as the client holds it, or
    a cache would not see it as the same one to freshen (RFC 9111 §4.3.4)."""
    etag = response.headers.get(hdrs.ETAG)
    held = request.headers.get(hdrs.IF_NONE_MATCH)
    if etag is None or held is None or not etag.startswith('"'):
        return
    if any(tag.strip() == "W/" + etag for tag in held.split(",")):
        response.headers[hdrs.ETAG] = "W/" + etag
        add_vary(response.headers)


def strong_if_match(request: web.Request) -> web.Request:
    """``request`` with each weak tag of its ``If-Match`` made strong (``W/"x"`` read as
    ``"x"``), for the handler's strong comparison.

    A client holds ``W/"x"`` for a strong ``"x"`` because this plugin weakened it when it
    encoded the answer: the tag the handler made names what the client read. A weak tag the
    handler made itself becomes ``"x"`` too; that matches only a current strong ``"x"``, which
    RFC 9110 (§8.8.3.2) already calls the same content. ``*`` and strong tags are kept.
    """
    held = ", ".join(request.headers.getall(hdrs.IF_MATCH))  # one list, however many lines
    if "W/" not in held:
        return request
    headers = CIMultiDict(request.headers)
    headers[hdrs.IF_MATCH] = _ENTITY_TAG.sub(r"\2", held)
    return request.clone(headers=headers)


def add_vary(headers: CIMultiDict[str]) -> None:
    """``Vary: Accept-Encoding`` added to the answer's own, once."""
    for value in headers.getall(hdrs.VARY, ()):
        for token in value.split(","):
            token = token.strip().lower()
            if token == "accept-encoding" or token == "*":
                return
    headers.add(hdrs.VARY, "Accept-Encoding")


def mark_encoded(headers: CIMultiDict[str], coding: str) -> None:
    headers[hdrs.CONTENT_ENCODING] = coding
    etag = headers.get(hdrs.ETAG)
    if etag is not None and etag.startswith('"'):
        headers[hdrs.ETAG] = "W/" + etag
