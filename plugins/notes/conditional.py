"""ETags and the If-Match / If-None-Match preconditions (RFC 9110, section 13).

A note's ETag is its version number as a strong entity-tag (``"3"``): every write increments
the version, ids are never reused, so a tag names exactly one state of one note.
"""

import re

_TAG = re.compile(r'(W/)?"([^"]*)"')


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_versions(header: str | None) -> list[int] | None:
    """The versions an If-Match header accepts; None for no header or ``*`` (any version).

    If-Match uses the strong comparison, so weak tags (and anything malformed) match nothing:
    an If-Match with only those makes the write fail with 412 whenever the note exists.
    """
    if header is None or header.strip() == "*":
        return None
    return [int(value) for weak, value in _tags(header) if not weak and _is_version(value)]


def if_none_match(header: str, version: int) -> bool:
    """Whether If-None-Match ``header`` matches ``version`` (weak comparison, ``*`` matches)."""
    if header.strip() == "*":
        return True
    current = str(version)
    return any(value == current for _, value in _tags(header))


def _tags(header: str) -> list[tuple[bool, str]]:
    return [(match.group(1) is not None, match.group(2)) for match in _TAG.finditer(header)]


def _is_version(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 10
