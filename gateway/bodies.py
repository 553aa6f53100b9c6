"""Request bodies: the one reader every plugin goes through.

aiohttp's server would inflate a compressed body inside its HTTP parser, on the event loop and
before any handler could say how much it wants: a 1 MiB gzip body that inflates to 1 GiB,
sent to any path, stalled every other client for seconds. The gateway turns that off
(``auto_decompress=False``, in :data:`HANDLER_ARGS`) and decodes here instead, where the
endpoint's limit is known:

- the limit applies to the body as the handler gets it, after inflating, and inflating stops
  as soon as the limit is passed (413), in steps of :data:`STEP` bytes that yield to the loop;
- accepted codings are :data:`CODINGS` (``identity``, ``gzip``, ``x-gzip``, ``deflate``), one
  at most; any other, known (``br``, ``zstd``) or not, is a 415 with ``Accept-Encoding``
  (RFC 9110 section 15.5.16); corrupt or truncated compressed data is a 400;
- the whole body must arrive within ``[gateway] body_timeout`` seconds (408), so a client
  that sends its headers and then trickles (or never sends) its body does not hold the
  connection forever.

A handler that never reads the body costs nothing: aiohttp discards what arrives (at most
``lingering_time`` seconds of it) without inflating it.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

from gateway.errors import ProblemError
from gateway.expect import send_continue
from gateway.keys import CONFIG

# Passed to every connection's RequestHandler (web.Application(handler_args=...)), so the
# in-memory test server, `gateway serve` and gunicorn workers all leave bodies to this module.
HANDLER_ARGS: dict[str, Any] = {"auto_decompress": False}

CODINGS = ("identity", "gzip", "x-gzip", "deflate")
ACCEPT_ENCODING = "gzip, deflate"
# Inflated bytes produced per step before the reader yields to the event loop.
STEP = 64 * 1024
_READ_CHUNK = 64 * 1024
DEFAULT_BODY_TIMEOUT = 30.0


def content_codings(request: web.BaseRequest) -> list[str]:
    """The request's content codings, outermost last, without ``identity``."""
    header = ",".join(request.headers.getall(hdrs.CONTENT_ENCODING, ()))
    codings = [part.strip().lower() for part in header.split(",")]
    return [coding for coding in codings if coding and coding != "identity"]


def check_content_encoding(request: web.BaseRequest) -> None:
    """Raise a 415 unless the body's Content-Encoding is one the gateway decodes.

    The root middleware calls this before any handler, so an unsupported coding is refused
    on every path, whether or not its handler reads the body.
    """
    codings = content_codings(request) if request.body_exists else []
    if not codings:
        return
    if len(codings) > 1:
        detail = f"The body has {len(codings)} codings ({', '.join(codings)}); send one at most."
    elif codings[0] not in CODINGS:
        detail = f"Content-Encoding {codings[0]!r} is not supported."
    else:
        return
    raise ProblemError(
        415,
        f"{detail} Accepted: {ACCEPT_ENCODING}, or none.",
        headers={"Accept-Encoding": ACCEPT_ENCODING},
    )


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request's body, decoded, at most ``limit`` bytes after decoding.

    Raises :class:`ProblemError`: 413 (larger than ``limit``, with ``max_body_size``), 415 (a
    coding the gateway does not decode), 400 (corrupt compressed data), 408 (the body did not
    arrive within ``[gateway] body_timeout``). A client that disconnects half-way raises
    ``ConnectionResetError``, which the root middleware answers quietly (it is not a server
    error).
    """
    check_content_encoding(request)
    codings = content_codings(request)
    declared = request.content_length
    # Compressed data this large inflates to at least about this much: no need to read it.
    if declared is not None and declared > limit:
        raise too_large(limit)
    # Checked as far as the body's head allows: now ask for it (gateway/expect.py).
    await send_continue(request)
    timeout = _body_timeout(request)
    try:
        async with asyncio.timeout(timeout):
            if not codings:
                return await _read_identity(request, limit)
            return await _read_compressed(request, limit, codings[0])
    except (HttpProcessingError, web.RequestPayloadError):
        # Bad chunking, or a body shorter than its Content-Length, found while reading it.
        raise ProblemError(
            400,
            "The request body is malformed (its chunked framing or its length).",
            headers={"Connection": "close"},
        ) from None
    except TimeoutError:
        raise ProblemError(
            408,
            f"The request body did not arrive within {timeout:g} seconds.",
            headers={"Connection": "close"},
        ) from None


async def _read_identity(request: web.Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.content.iter_chunked(_READ_CHUNK):
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


async def _read_compressed(request: web.Request, limit: int, coding: str) -> bytes:
    # deflate is the zlib format (RFC 9110 section 8.4.1.2); raw deflate, which some clients
    # send instead, is accepted too, as browsers and aiohttp's own client do.
    wbits = 16 + zlib.MAX_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    body = bytearray()
    received = 0
    first = True
    async for chunk in request.content.iter_chunked(_READ_CHUNK):
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        if first and coding == "deflate" and chunk and (chunk[0] & 0x0F) != 8:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        first = False
        data = chunk
        while data:
            if inflater.eof:
                raise _corrupt(coding, "data after the end of the compressed stream")
            try:
                body += inflater.decompress(data, STEP)
            except zlib.error as exc:
                raise _corrupt(coding, str(exc)) from None
            if len(body) > limit:
                raise too_large(limit)
            data = inflater.unconsumed_tail
            await asyncio.sleep(0)  # each step is bounded; let other clients run between them
    if not inflater.eof:
        try:
            body += inflater.flush()
        except zlib.error as exc:
            raise _corrupt(coding, str(exc)) from None
        if not inflater.eof:
            raise _corrupt(coding, "the compressed stream ends early")
    if inflater.unused_data:
        raise _corrupt(coding, "data after the end of the compressed stream")
    if len(body) > limit:
        raise too_large(limit)
    return bytes(body)


def _body_timeout(request: web.Request) -> float:
    config = request.config_dict.get(CONFIG)
    return config.gateway.body_timeout if config is not None else DEFAULT_BODY_TIMEOUT


def _corrupt(coding: str, why: str) -> ProblemError:
    return ProblemError(400, f"The body is not valid {coding} data ({why}).")


def too_large(limit: int) -> ProblemError:
    """The 413 for a body over ``limit`` bytes (after decoding)."""
    return ProblemError(
        413,
        f"The request body is larger than this endpoint's limit of {limit} bytes.",
        max_body_size=limit,
    )
