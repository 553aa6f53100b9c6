"""Request paths mapped onto a target, and the target's ``Location`` mapped back.

Only the raw path the client sent is used, never aiohttp's decoded one: decoding would turn
``%2F`` into a separator and ``%2e%2e`` into a dot segment only after the check. Each segment
is judged by what it decodes to (repeatedly, so ``%252e`` counts as a dot too):

- a segment that is ``.`` or ``..`` once decoded is a dot segment, resolved here (RFC 3986
  section 5.2.4); a ``..`` that would climb above the mount prefix is refused;
- a segment that decodes to a separator (``/`` or ``\\``), a NUL, or to a dot segment only
  after more than one decoding is refused: an upstream may decode it again and see a path the
  gateway never checked;
- a raw backslash is refused for the same reason (some servers treat it as ``/``).

Everything else is sent exactly as the client encoded it.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from gateway import ProblemError

_MAX_DECODINGS = 4
_FORBIDDEN = ("/", "\\", "\x00")


class PathRefused(ProblemError):
    """A path the proxy will not forward (400)."""

    def __init__(self, detail: str) -> None:
        super().__init__(400, detail)


def _judge(segment: str) -> str:
    """``"."``, ``".."`` or ``""`` (an ordinary segment); raises :class:`PathRefused`."""
    if "\\" in segment:
        raise PathRefused("A backslash in the path is not forwarded.")
    once = unquote(segment) if "%" in segment else segment
    if once in (".", ".."):
        return once
    decoded = once
    for _ in range(_MAX_DECODINGS):
        if any(c in decoded for c in _FORBIDDEN):
            raise PathRefused("An encoded '/', '\\' or NUL in a path segment is not forwarded.")
        if decoded in (".", ".."):
            raise PathRefused("An encoded dot segment in the path is not forwarded.")
        if "%" not in decoded:
            break
        decoded = unquote(decoded)
    return ""


def tail_segments(raw_path: str, prefix: str) -> list[str]:
    """The raw segments of ``raw_path`` after the mount ``prefix``, dot segments resolved.

    ``raw_path`` is ``request.raw_path`` without its query. Raises :class:`PathRefused` for a
    path that escapes ``prefix`` or hides a separator or dot segment in its encoding.
    """
    wanted = prefix.split("/")[1:] if prefix else []
    if "%" not in raw_path and "\\" not in raw_path and "/." not in raw_path:
        # Nothing encoded, no dot segment: routing already matched the prefix as written.
        segments = raw_path.split("/")[1:]
        if segments[: len(wanted)] == wanted:
            return segments[len(wanted) :]
    resolved: list[str] = []
    for segment in raw_path.split("/")[1:]:
        kind = _judge(segment)
        if kind == "..":
            if not resolved:
                raise PathRefused("The path climbs above the root.")
            resolved.pop()
        elif kind != ".":
            resolved.append(segment)
    if raw_path.endswith(("/.", "/..")):
        resolved.append("")  # "/a/b/.." is "/a/", a directory (RFC 3986 section 5.2.4)
    head = resolved[: len(wanted)]
    if [unquote(s) for s in head] != wanted:
        raise PathRefused("The path leaves this proxy's prefix.")
    return resolved[len(wanted) :]


def tail_of(raw_path: str, prefix: str) -> str:
    """What follows the mount ``prefix`` in ``raw_path`` (no query), checked as
    :func:`tail_segments` checks it: ``""`` for the bare prefix, else ``"/..."``."""
    if "%" not in raw_path and "\\" not in raw_path and "/." not in raw_path:
        # Nothing encoded, no dot segment (most requests): the path as routing matched it.
        rest = raw_path[len(prefix) :]
        if raw_path.startswith(prefix) and (not rest or rest[0] == "/"):
            return rest
    segments = tail_segments(raw_path, prefix)
    return "/" + "/".join(segments) if segments else ""


def rewrite_location(
    value: str, *, target_origin: str, base: str, prefix: str, strip_prefix: bool, origin: str
) -> str:
    """A target's ``Location`` or ``Content-Location`` as the client must see it.

    ``target_origin`` is ``scheme://host:port`` of the target that answered; ``origin`` the
    gateway's as the client reached it. A URL on the target under its ``base`` moves under the
    prefix (absolute URLs stay absolute, on the gateway's origin); any other URL, and a
    relative one (it already resolves against the client's own URL), is left as it is.
    """
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        if f"{parts.scheme}://{parts.netloc}".lower() != target_origin.lower():
            return value
        absolute = True
    elif value.startswith("/") and not value.startswith("//"):
        absolute = False
    else:
        return value
    path = parts.path or "/"
    own_root = base if strip_prefix else base + prefix
    if own_root and not (path == own_root or path.startswith(own_root + "/")):
        return value
    path = prefix + path[len(own_root) :] if own_root else prefix + path
    path = path or "/"
    if absolute:
        scheme, netloc = origin.split("://", 1)
        return urlunsplit((scheme, netloc, path, parts.query, parts.fragment))
    return urlunsplit(("", "", path, parts.query, parts.fragment))
