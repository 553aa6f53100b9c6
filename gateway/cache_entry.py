"""A stored answer (RFC 9111 §3): status, fields, body and the times its age is counted from.

:class:`StoredResponse` is what every gateway cache keeps, in memory as it is and in Redis as
the compact bytes of :func:`encode_entry`: a header of fixed size, the fields as JSON, then the
body untouched (never re-encoded). A :class:`VaryMarker` stands under a URL whose answers vary
by request fields: it names them, and each variant is stored under the key
:func:`variant_key` makes of the URL's key and the request's values of those fields. An
:class:`OriginFailure` is a failed call to the origin remembered for a while (negative caching
of failures, and quota windows: gateway/cache_failures.py).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from multidict import CIMultiDict

from gateway.cache_control import current_age

# Fields never stored: about one connection (RFC 9110 §7.6.1), recomputed on every answer
# (Age, Content-Length), or about one request (the gateway's own id).
UNSTORED_FIELDS = frozenset(
    name.lower()
    for name in (
        "Connection",
        "Keep-Alive",
        "Proxy-Connection",
        "Transfer-Encoding",
        "TE",
        "Trailer",
        "Upgrade",
        "Proxy-Authenticate",
        "Proxy-Authentication-Info",
        "Content-Length",
        "Age",
        "X-Request-ID",
        "Set-Cookie",
    )
)
# Fields a 304 must not change in the stored answer (RFC 9111 §3.2).
NOT_UPDATED_BY_304 = frozenset(("content-length", "content-encoding", "content-type", "etag"))


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """An answer as stored: what to send again, and §4.2.3's times (wall clock).

    ``initial_age``: ``corrected_initial_age``, how old the answer was when it arrived;
    ``response_time``: when it arrived. ``fields``: name and value pairs, in order.
    """

    status: int
    fields: tuple[tuple[str, str], ...]
    body: bytes
    initial_age: float
    response_time: float
    # What a cache derives from the entry once, not on every hit (its freshness under a
    # policy, its fields as a multidict); never stored, never compared, new on each copy.
    memo: dict[Any, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def age(self, now: float) -> float:
        return current_age(self.initial_age, self.response_time, now)

    def headers(self) -> CIMultiDict[str]:
        """The fields as a new multidict (the caller may change it)."""
        return CIMultiDict(self.fields)

    def shared_headers(self) -> CIMultiDict[str]:
        """The fields as one multidict made once: read it, or copy it, never change it."""
        headers = self.memo.get(CIMultiDict)
        if headers is None:
            headers = self.memo[CIMultiDict] = CIMultiDict(self.fields)
        return headers  # type: ignore[no-any-return]

    def field(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.fields:
            if key.lower() == lowered:
                return value
        return None

    @property
    def size(self) -> int:
        """Bytes it takes, near enough: the body and the fields."""
        return len(self.body) + sum(len(k) + len(v) + 4 for k, v in self.fields) + 64

    def freshened(
        self, fields: Mapping[str, str], initial_age: float, response_time: float
    ) -> StoredResponse:
        """This answer with a 304's fields and times (§3.2, §4.3.4)."""
        updated = CIMultiDict(self.fields)
        for name in {k.lower() for k in fields}:
            if name in NOT_UPDATED_BY_304 or name in UNSTORED_FIELDS:
                continue
            values = fields.getall(name) if hasattr(fields, "getall") else [fields[name]]
            updated.popall(name, None)
            for value in values:
                updated.add(name, value)
        return replace(
            self,
            fields=tuple(updated.items()),
            initial_age=initial_age,
            response_time=response_time,
        )


def stored_fields(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The fields of an answer worth storing (see :data:`UNSTORED_FIELDS`)."""
    return tuple((k, v) for k, v in headers if k.lower() not in UNSTORED_FIELDS)


@dataclass(frozen=True, slots=True)
class VaryMarker:
    """Stored under a URL's key when its answers vary: the request fields they vary by.

    ``response_time`` is also the marker's generation, part of every variant's key: dropping
    the marker alone (an unsafe request's invalidation, RFC 9111 §4.4) makes every variant
    unreachable at once, with no search for them; they expire unread.
    """

    names: tuple[str, ...]
    response_time: float


def vary_names(value: str | None) -> tuple[str, ...]:
    """The lower-cased, sorted field names of a ``Vary`` value (``*`` is the caller's)."""
    if not value:
        return ()
    return tuple(sorted({n.strip().lower() for n in value.split(",") if n.strip()}))


def variant_key(marker: VaryMarker, key: str, request_headers: Mapping[str, str]) -> str:
    """The key of the variant a request selects (RFC 9111 §4.1): each field the marker names,
    its value's whitespace around commas normalised, hashed with the marker's generation into
    a suffix of ``key``."""
    names = marker.names
    digest = hashlib.blake2b(digest_size=12)
    digest.update(repr(marker.response_time).encode())
    for name in names:
        values = (
            request_headers.getall(name, [])  # type: ignore[attr-defined]
            if hasattr(request_headers, "getall")
            else ([request_headers[name]] if name in request_headers else [])
        )
        normal = ",".join(part.strip() for v in values for part in v.split(","))
        digest.update(name.encode() + b"\x00" + normal.encode("utf-8", "surrogateescape"))
        digest.update(b"\x01" if values else b"\x02")
    return f"{key}#vary:{digest.hexdigest()}"


@dataclass(frozen=True, slots=True)
class OriginFailure:
    """A call to the origin that failed, remembered so that it is not made again at once.

    ``kind``: what went wrong, a token (``timeout``, ``connection``, ``status``,
    ``rate-limited``...); ``status``: the origin's, when it gave one; ``detail``: a short
    description for the log or a problem's text (never a secret); ``at``: when it failed;
    ``until``: when the origin may be asked again. Both wall clock, so processes sharing a
    Redis agree.
    """

    kind: str
    status: int | None
    detail: str
    at: float
    until: float

    @property
    def size(self) -> int:
        """Bytes it takes, near enough."""
        return len(self.kind) + len(self.detail) + 64


# --- bytes, for a shared store -----------------------------------------------------------------

_ENTRY = b"R"
_MARKER = b"V"
_FAILURE = b"O"
# status, initial_age, response_time, length of the JSON fields
_HEAD = struct.Struct("!Hddi")
_MARKER_HEAD = struct.Struct("!d")
# status (0: none), at, until; then the kind, a newline and the detail
_FAILURE_HEAD = struct.Struct("!Hdd")


def encode_entry(value: StoredResponse | VaryMarker | OriginFailure) -> bytes:
    if isinstance(value, VaryMarker):
        return _MARKER + _MARKER_HEAD.pack(value.response_time) + "\n".join(value.names).encode()
    if isinstance(value, OriginFailure):
        head = _FAILURE_HEAD.pack(value.status or 0, value.at, value.until)
        return b"".join((_FAILURE, head, f"{value.kind}\n{value.detail}".encode()))
    fields = orjson.dumps(value.fields)
    head = _HEAD.pack(value.status, value.initial_age, value.response_time, len(fields))
    return b"".join((_ENTRY, head, fields, value.body))


def decode_entry(data: bytes | None) -> StoredResponse | VaryMarker | OriginFailure | None:
    """The value :func:`encode_entry` wrote, or ``None`` for anything else (a miss)."""
    if not data:
        return None
    tag, rest = data[:1], memoryview(data)[1:]
    try:
        if tag == _ENTRY:
            status, initial_age, response_time, length = _HEAD.unpack_from(rest)
            start = _HEAD.size
            fields = orjson.loads(bytes(rest[start : start + length]))
            return StoredResponse(
                status,
                tuple((str(k), str(v)) for k, v in fields),
                bytes(rest[start + length :]),
                initial_age,
                response_time,
            )
        if tag == _MARKER:
            (response_time,) = _MARKER_HEAD.unpack_from(rest)
            names = bytes(rest[_MARKER_HEAD.size :]).decode()
            return VaryMarker(tuple(names.split("\n")) if names else (), response_time)
        if tag == _FAILURE:
            status, at, until = _FAILURE_HEAD.unpack_from(rest)
            text = bytes(rest[_FAILURE_HEAD.size :]).decode()
            kind, newline, detail = text.partition("\n")
            if kind and newline:
                return OriginFailure(kind, status or None, detail, at, until)
    except (struct.error, ValueError, TypeError):  # UnicodeDecodeError is a ValueError
        pass
    return None
