"""The syntax of forwarded paths and of the family patterns that select them.

Kept apart from families.py so that the settings can check patterns without importing the
HTTP client.
"""

from __future__ import annotations

import re

# One path segment as CoinGecko uses them: ids, contract addresses, "all.json". Never "." or
# "..", nothing that would need escaping again on the way upstream.
SEGMENT = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,127}$")
PARAMETER = re.compile(r"^\{[a-z_]{1,32}\}$")
MAX_SEGMENTS = 8


def pattern_error(pattern: str) -> str | None:
    """Why ``pattern`` is not a family pattern, or None when it is one."""
    if not pattern.startswith("/") or pattern == "/":
        return "must start with / and name a path, as in /coins/{id}/tickers"
    segments = pattern[1:].split("/")
    if len(segments) > MAX_SEGMENTS:
        return f"at most {MAX_SEGMENTS} segments"
    for index, segment in enumerate(segments):
        if segment == "*":
            if index != len(segments) - 1:
                return "* may only be the last segment"
        elif not (SEGMENT.match(segment) or PARAMETER.match(segment)):
            return (
                f"segment {segment!r} is neither a literal (letters, digits, . _ ~ -), "
                "a {name} nor a final *"
            )
    return None


def pattern_segments(pattern: str) -> tuple[str, ...]:
    return tuple(pattern[1:].split("/"))


def normalised_path(tail: str) -> str | None:
    """``coins/bitcoin/`` as ``/coins/bitcoin``, or None when it is no CoinGecko path.

    CoinGecko answers a path with or without a trailing slash alike (pycoingecko always sends
    ``coins/{id}/``), so both are one path, and one cache entry; an empty segment elsewhere
    (``coins//bitcoin``) is not a path it has.
    """
    segments = tail.removesuffix("/").split("/")
    if not 0 < len(segments) <= MAX_SEGMENTS:
        return None
    if not all(SEGMENT.match(segment) for segment in segments):
        return None
    return "/" + "/".join(segments)
