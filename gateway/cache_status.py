"""RFC 9211 ``Cache-Status``: how a cache handled a request, one list member per cache.

``gateway; hit; ttl=42``, ``gateway; fwd=miss; stored``, ``gateway; fwd=stale; fwd-status=304;
stored``, ``gateway; fwd=uri-miss; collapsed``... A structured-field list (RFC 8941): the member
is the cache's name (a token), then its parameters; a cache closer to the client appends its
member after those of caches nearer the origin.
"""

from __future__ import annotations

from collections.abc import MutableMapping

# RFC 9211 §2.2: why the request went forward.
FWD_REASONS = frozenset(
    ("bypass", "method", "uri-miss", "vary-miss", "miss", "request", "stale", "partial")
)


def cache_status(
    name: str,
    *,
    hit: bool = False,
    fwd: str | None = None,
    fwd_status: int | None = None,
    ttl: float | None = None,
    stored: bool = False,
    collapsed: bool = False,
    detail: str | None = None,
) -> str:
    """One ``Cache-Status`` member. ``ttl`` is the freshness left, in whole seconds (negative
    once stale); ``detail`` is a token (letters, digits, ``-``, ``.``)."""
    if fwd is not None and fwd not in FWD_REASONS:
        raise ValueError(f"fwd={fwd!r} is not an RFC 9211 reason")
    parts = [name]
    if hit:
        parts.append("hit")
    if fwd is not None:
        parts.append(f"fwd={fwd}")
    if fwd_status is not None:
        parts.append(f"fwd-status={fwd_status}")
    if ttl is not None:
        parts.append(f"ttl={round(ttl)}")
    if stored:
        parts.append("stored")
    if collapsed:
        parts.append("collapsed")
    if detail is not None:
        parts.append(f"detail={detail}")
    return "; ".join(parts)


def add_cache_status(headers: MutableMapping[str, str], member: str) -> None:
    """Append ``member`` to the ``Cache-Status`` already on ``headers`` (an origin's or an
    inner cache's), as RFC 9211 §2 asks."""
    existing = headers.get("Cache-Status")
    headers["Cache-Status"] = f"{existing}, {member}" if existing else member
