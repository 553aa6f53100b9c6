"""Content codings: which one a client accepts (``Accept-Encoding``) and streaming compressors.

:func:`choose_coding` reads ``Accept-Encoding`` as RFC 9110 §12.5.3 says: codings are
case-insensitive, each with an optional weight (``;q=``, 0 to 1, three decimals); ``q=0``
means "not acceptable"; ``*`` stands for every coding the field does not name; ``x-gzip`` is
``gzip``; ``identity`` (no coding) is acceptable unless it is refused by ``identity;q=0``, or
by ``*;q=0`` without ``identity`` listed. Among the codings the server offers, the client's
highest weight wins and ties go to the server's order; an ``identity`` the client weighs
higher than every offered coding wins over them. A request without the field, or with an
empty one, gets no coding: most clients that can decode say so, and an unasked coding breaks
the ones that cannot.

aiohttp's own ``enable_compression`` is not used: it matches ``gzip`` anywhere in the field
(``gzip;q=0`` included), offers gzip and deflate only, and never flushes a stream.

:func:`compressor` makes a streaming compressor for ``gzip`` (zlib), ``br`` (Brotli) and
``zstd`` (zstandard): ``compress`` then ``flush`` after each piece that must reach the client
now (a sync flush: everything given so far decodes), and ``finish`` once at the end.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Literal, Protocol

import brotli
import zstandard

Coding = Literal["zstd", "br", "gzip"]

#: Every coding the gateway can make, in its default order of preference: zstd and Brotli
#: make smaller bodies than gzip for the same CPU at the levels below.
CODINGS: tuple[Coding, ...] = ("zstd", "br", "gzip")

#: Levels fit for answers compressed per request: fast, most of the gain.
STREAM_LEVELS: dict[str, int] = {"gzip": 6, "br": 4, "zstd": 3}
#: Levels the accepted range of each coding, for settings to check against.
LEVEL_RANGES: dict[str, tuple[int, int]] = {"gzip": (1, 9), "br": (0, 11), "zstd": (1, 19)}

#: Media types worth compressing (text, JSON, JavaScript, XML, SVG...): ``fnmatch`` patterns
#: over the lower-cased type without parameters.
COMPRESSIBLE_TYPES: tuple[str, ...] = (
    "text/*",
    "application/json",
    "application/*+json",
    "application/javascript",
    "application/ecmascript",
    "application/x-javascript",
    "application/xml",
    "application/*+xml",
    "application/x-ndjson",
    "application/graphql-response+json",
    "application/wasm",
    "application/manifest+json",
    "application/openmetrics-text",
    "image/svg+xml",
    "image/x-icon",
    "font/ttf",
    "font/otf",
)

_ALIASES = {"x-gzip": "gzip"}


def accepted_weights(accept_encoding: str) -> dict[str, float]:
    """The weight of every coding named in an ``Accept-Encoding`` value, lower-cased
    (``*`` and ``identity`` included); a malformed weight makes its member count as q=0, the
    safe reading of a client that said something about the coding."""
    weights: dict[str, float] = {}
    for member in accept_encoding.split(","):
        coding, _, params = member.partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        coding = _ALIASES.get(coding, coding)
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
                if not 0.0 <= weight <= 1.0:
                    weight = 0.0
        # A coding named twice keeps its highest weight: the client accepts it at least so.
        weights[coding] = max(weight, weights.get(coding, 0.0))
    return weights


def choose_coding(accept_encoding: str | None, offered: Sequence[str]) -> str | None:
    """The coding of ``offered`` (the server's order of preference) to answer with, or
    ``None`` for the answer as it is (identity): also when the client refuses identity and
    accepts nothing offered (RFC 9110 lets a server then send identity rather than a 406,
    which is kinder to a client that asked for, say, only ``compress``)."""
    if not accept_encoding:
        return None
    if type(offered) is tuple:
        # A client sends the same field on every request: its reading is remembered (a
        # bounded cache, so a client varying it costs a parse, never memory).
        return _chosen(accept_encoding, offered)
    return _choose(accept_encoding, offered)


def _choose(accept_encoding: str, offered: Sequence[str]) -> str | None:
    weights = accepted_weights(accept_encoding)
    star = weights.get("*")
    best: str | None = None
    best_weight = 0.0
    for coding in offered:
        weight = weights.get(coding, star if star is not None else 0.0)
        if weight > best_weight:  # strictly: a tie keeps the server's earlier choice
            best, best_weight = coding, weight
    if best is None:
        return None
    identity = weights.get("identity")
    if identity is not None and identity > best_weight:
        return None  # the client prefers the body as it is
    return best


_chosen = lru_cache(maxsize=256)(_choose)


def is_compressible(content_type: str, patterns: Iterable[str] = COMPRESSIBLE_TYPES) -> bool:
    """Whether a ``Content-Type`` value (parameters allowed) matches one of ``patterns``."""
    if type(patterns) is tuple:  # a handler's few content types, matched once each
        return _matches(content_type, patterns)
    return _match(content_type, patterns)


def _match(content_type: str, patterns: Iterable[str]) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return bool(media) and any(fnmatchcase(media, pattern) for pattern in patterns)


_matches = lru_cache(maxsize=256)(_match)


class Compressor(Protocol):
    """A streaming compressor: the bytes to send for each piece, for a flush, at the end."""

    def compress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...

    def finish(self) -> bytes: ...


class _Gzip:
    def __init__(self, level: int) -> None:
        # wbits 16 + 15: a gzip member (header and CRC), the largest window.
        self._z = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def compress(self, data: bytes) -> bytes:
        return self._z.compress(data)

    def flush(self) -> bytes:
        return self._z.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._z.flush(zlib.Z_FINISH)


class _Brotli:
    def __init__(self, level: int) -> None:
        self._b = brotli.Compressor(quality=level)

    def compress(self, data: bytes) -> bytes:
        return self._b.process(data)  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        return self._b.flush()  # type: ignore[no-any-return]

    def finish(self) -> bytes:
        return self._b.finish()  # type: ignore[no-any-return]


class _Zstd:
    def __init__(self, level: int) -> None:
        self._z = zstandard.ZstdCompressor(level=level).compressobj()

    def compress(self, data: bytes) -> bytes:
        return self._z.compress(data)

    def flush(self) -> bytes:
        # Ends a block, not the frame: what was given so far decodes, the stream goes on.
        return self._z.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)

    def finish(self) -> bytes:
        return self._z.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH)


def compressor(coding: str, level: int | None = None) -> Compressor:
    """A streaming compressor for ``coding`` (``gzip``, ``br`` or ``zstd``) at ``level``
    (:data:`STREAM_LEVELS` when not given)."""
    chosen = STREAM_LEVELS[coding] if level is None else level
    if coding == "gzip":
        return _Gzip(chosen)
    if coding == "br":
        return _Brotli(chosen)
    if coding == "zstd":
        return _Zstd(chosen)
    raise ValueError(f"unknown content coding {coding!r}: use one of {', '.join(CODINGS)}")


def compress_whole(coding: str, data: bytes, level: int | None = None) -> bytes:
    """``data`` compressed in one go (an answer built in memory, a static file); safe to
    call from any thread."""
    chosen = STREAM_LEVELS.get(coding, 0) if level is None else level
    if coding == "zstd":
        # One shot: the frame says its content size, which lets a decoder allocate once.
        return _zstd_compressor(chosen).compress(data)
    if coding == "br":
        return brotli.compress(data, quality=chosen)  # type: ignore[no-any-return]
    if coding == "gzip":
        return zlib.compress(data, chosen, wbits=16 + zlib.MAX_WBITS)
    raise ValueError(f"unknown content coding {coding!r}: use one of {', '.join(CODINGS)}")


_per_thread = threading.local()


def _zstd_compressor(level: int) -> zstandard.ZstdCompressor:
    """A compressor per level and thread, kept: making one allocates zstd's context, which
    costs more than compressing a kilobyte (bench/compress.py); one is not thread-safe."""
    made: dict[int, zstandard.ZstdCompressor] | None = getattr(_per_thread, "zstd", None)
    if made is None:
        made = _per_thread.zstd = {}
    compressor = made.get(level)
    if compressor is None:
        compressor = made[level] = zstandard.ZstdCompressor(level=level)
    return compressor
