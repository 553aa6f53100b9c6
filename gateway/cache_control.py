"""RFC 9111's arithmetic for a shared cache: ``Cache-Control`` directives, freshness and age.

Pure functions and small frozen records, no I/O: the cache middleware plugin and any other
plugin that caches (crypto) share them, so every answer of the gateway counts age and
freshness the same way. Times are wall-clock seconds (``time.time()``), so that processes
sharing a Redis agree on an entry's age.

Age is §4.2.3's: a stored answer keeps the ``Cache-Control`` its origin sent (``max-age=60``
stays ``max-age=60``), and the ``Age`` field sent with it says how old it is. The freshness
left is never written into ``max-age``: a downstream cache would count the age twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

# Statuses a cache may give a heuristic lifetime (RFC 9110 §15.1 "heuristically cacheable").
HEURISTICALLY_CACHEABLE = frozenset((200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501))
# Statuses this gateway stores at all (with explicit freshness, or heuristically above): final
# answers it understands; never a 206 (it does not combine ranges) nor a 304 on its own.
STORABLE = frozenset(
    (200, 203, 204, 300, 301, 302, 303, 307, 308, 400, 403, 404, 405, 410, 414, 451, 501)
)


def parse_cache_control(values: str | list[str] | None) -> dict[str, str | None]:
    """Directives of one or more ``Cache-Control`` field values: ``{"max-age": "60", "public":
    None}``. Names are lower-cased, quoted values unquoted; for a directive given twice the
    first wins (RFC 9111 §4.2.1: a cache then treats the answer as stale; §5.2 lets it pick).
    """
    if values is None:
        return {}
    text = values if isinstance(values, str) else ",".join(values)
    directives: dict[str, str | None] = {}
    for item in _split_list(text):
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not name:
            continue
        parsed: str | None = None
        if sep:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            parsed = value
        directives.setdefault(name, parsed)
    return directives


def _split_list(text: str) -> list[str]:
    """A comma-separated field value, commas inside quoted strings kept."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def delta_seconds(directives: Mapping[str, str | None], name: str) -> int | None:
    """A directive's ``delta-seconds`` (RFC 9111 §1.2.2), ``None`` when absent or invalid.

    An invalid value (``max-age=soon``) is treated as absent by the caller's rules: for
    ``max-age`` in an answer that makes it stale (§4.2.1), which :func:`freshness_lifetime`
    does by returning 0 when the directive is present but not a number.
    """
    value = directives.get(name)
    if value is None or not value.isdigit():
        return None
    return min(int(value), 2**31)  # §1.2.2: at most 2^31 when larger


def http_date(value: str | None) -> float | None:
    """An HTTP-date as a POSIX timestamp, ``None`` when absent or invalid."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # an obsolete format without zone: GMT by RFC 9110 §5.6.7
        return moment.replace(tzinfo=UTC).timestamp()
    return moment.timestamp()


@dataclass(frozen=True, slots=True)
class Freshness:
    """How long a stored answer is fresh, and what it allows once stale.

    ``lifetime``: seconds of freshness (§4.2.1); ``heuristic``: whether it was guessed
    (§4.2.2); ``stale_while_revalidate`` / ``stale_if_error``: seconds past ``lifetime`` the
    answer may be served while a refresh runs, or when the origin fails (RFC 5861);
    ``must_revalidate``: no stale serving at all (``must-revalidate``, ``proxy-revalidate``,
    ``s-maxage``, ``no-cache``).
    """

    lifetime: float
    heuristic: bool = False
    stale_while_revalidate: float = 0.0
    stale_if_error: float = 0.0
    must_revalidate: bool = False
    no_cache: bool = False

    @property
    def keep_for(self) -> float:
        """Seconds from storing until no stale window can use the answer any more: freshness
        plus the longest stale window it allows (the caller keeps one with a validator
        longer, for conditional requests)."""
        stale = (
            0.0 if self.must_revalidate else max(self.stale_while_revalidate, self.stale_if_error)
        )
        return self.lifetime + stale


def freshness(
    status: int,
    headers: Mapping[str, str],
    *,
    heuristic_fraction: float = 0.0,
    heuristic_max: float = 86400.0,
    ttl: float | None = None,
    stale_while_revalidate: float = 0.0,
    stale_if_error: float = 0.0,
) -> Freshness:
    """The freshness of an answer as a shared cache sees it (§4.2.1, §4.2.2, RFC 5861).

    ``ttl`` (an operator's override) replaces the origin's lifetime; ``heuristic_fraction``
    (0: off, the default) gives an answer without explicit freshness that fraction of its
    ``Last-Modified`` age, at most ``heuristic_max``. The two stale windows given are the
    operator's defaults, used where the answer names none.
    """
    directives = parse_cache_control(headers.get("Cache-Control"))
    no_cache = "no-cache" in directives and directives["no-cache"] is None
    must = (
        "must-revalidate" in directives
        or "proxy-revalidate" in directives
        or "s-maxage" in directives
        or no_cache
    )
    swr = delta_seconds(directives, "stale-while-revalidate")
    sie = delta_seconds(directives, "stale-if-error")
    extra: dict[str, Any] = {
        "stale_while_revalidate": float(swr) if swr is not None else stale_while_revalidate,
        "stale_if_error": float(sie) if sie is not None else stale_if_error,
        "must_revalidate": must,
        "no_cache": no_cache,
    }
    if ttl is not None:
        return Freshness(0.0 if no_cache else ttl, **extra)
    for name in ("s-maxage", "max-age"):
        if name in directives:
            seconds = delta_seconds(directives, name)
            return Freshness(float(seconds or 0), **extra)
    expires = headers.get("Expires")
    if expires is not None:
        expiry = http_date(expires)
        date = http_date(headers.get("Date"))
        if expiry is None or date is None:
            return Freshness(0.0, **extra)  # §5.3: an invalid Expires is in the past
        return Freshness(max(0.0, expiry - date), **extra)
    if heuristic_fraction > 0 and status in HEURISTICALLY_CACHEABLE:
        modified = http_date(headers.get("Last-Modified"))
        date = http_date(headers.get("Date"))
        if modified is not None and date is not None and date > modified:
            guess = min(heuristic_max, (date - modified) * heuristic_fraction)
            return Freshness(guess, heuristic=True, **extra)
    return Freshness(0.0, **extra)


def initial_age(headers: Mapping[str, str], request_time: float, response_time: float) -> float:
    """``corrected_initial_age`` of §4.2.3: how old the answer was when it arrived."""
    age_value = _age_value(headers.get("Age"))
    date_value = http_date(headers.get("Date"))
    # Date has a resolution of one second: compared at that resolution, an answer made and
    # received within one second is not taken for up to a second old.
    apparent_age = (
        max(0.0, math.floor(response_time) - date_value) if date_value is not None else 0.0
    )
    response_delay = max(0.0, response_time - request_time)
    corrected_age_value = age_value + response_delay
    return max(apparent_age, corrected_age_value)


def current_age(corrected_initial_age: float, response_time: float, now: float) -> float:
    """§4.2.3's ``current_age``: the initial age plus the time the answer has been stored."""
    return corrected_initial_age + max(0.0, now - response_time)


def age_field(age: float) -> str:
    """The ``Age`` field's value: whole seconds, rounded down (§5.1)."""
    return str(max(0, math.floor(age)))


def _age_value(value: str | None) -> float:
    if value is None:
        return 0.0
    value = value.split(",")[0].strip()
    return float(value) if value.isdigit() else 0.0


@dataclass(frozen=True, slots=True)
class RequestDirectives:
    """What a client's ``Cache-Control`` (or ``Pragma: no-cache``) asks of a cache (§5.2.1)."""

    max_age: float | None = None
    max_stale: float | None = None  # math.inf for a bare ``max-stale``
    min_fresh: float = 0.0
    no_cache: bool = False
    no_store: bool = False
    only_if_cached: bool = False
    stale_if_error: float | None = None

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> RequestDirectives:
        value = headers.get("Cache-Control")
        if value is None:
            pragma = headers.get("Pragma", "")
            return cls(no_cache=True) if "no-cache" in pragma.lower() else _NO_DIRECTIVES
        directives = parse_cache_control(value)
        if not directives:
            return _NO_DIRECTIVES
        max_stale: float | None = None
        if "max-stale" in directives:
            seconds = delta_seconds(directives, "max-stale")
            max_stale = math.inf if seconds is None else float(seconds)
        max_age = delta_seconds(directives, "max-age")
        min_fresh = delta_seconds(directives, "min-fresh")
        sie = delta_seconds(directives, "stale-if-error")
        return cls(
            max_age=float(max_age) if max_age is not None else None,
            max_stale=max_stale,
            min_fresh=float(min_fresh or 0),
            no_cache="no-cache" in directives,
            no_store="no-store" in directives,
            only_if_cached="only-if-cached" in directives,
            stale_if_error=float(sie) if sie is not None else None,
        )


_NO_DIRECTIVES = RequestDirectives()


def storable_response(
    status: int,
    headers: Mapping[str, str],
    *,
    authorized: bool,
    heuristic: bool,
) -> str | None:
    """Why a shared cache must not store this answer (§3, §3.5), or ``None`` when it may.

    ``authorized``: the request carried credentials (``Authorization``, or an identity the
    gateway established); such an answer is stored only with ``public``, ``s-maxage`` or
    ``must-revalidate``. ``heuristic``: whether the cache gives heuristic lifetimes, without
    which an answer without explicit freshness or a validator is of no use stored.
    """
    if status not in STORABLE:
        return "status"
    directives = parse_cache_control(headers.get("Cache-Control"))
    if "no-store" in directives:
        return "no-store"
    if "private" in directives:  # with field names too: never worth storing in part
        return "private"
    if authorized and not (
        "public" in directives or "s-maxage" in directives or "must-revalidate" in directives
    ):
        return "authorization"
    if "Set-Cookie" in headers:
        return "set-cookie"  # one client's cookie is never handed to another
    if headers.get("Vary", "").strip() == "*":
        return "vary-star"
    explicit = "s-maxage" in directives or "max-age" in directives or "Expires" in headers
    if explicit or "public" in directives or "no-cache" in directives:
        return None
    if heuristic and status in HEURISTICALLY_CACHEABLE and "Last-Modified" in headers:
        return None
    if "ETag" in headers or "Last-Modified" in headers:
        return None  # stored stale, to be revalidated with a conditional request
    return "no-freshness"
