"""The request's host: checked once, before any handler runs, so every URL built from it is safe.

aiohttp builds ``request.url`` (and so every ``Location``, ``Link`` and ``next`` a plugin derives
from it) from the ``Host`` header as sent. A port out of range or not a number, several colons
or a label IDNA cannot decode makes that fail (a 500 after the handler already acted: a POST
stored its note); bytes such as ``>``, ``,`` or ``"`` would be copied into a ``Link`` header and
inject link-values. So the root middleware refuses such a host with a 400 before routing
reaches a plugin, and what passes is a plain RFC 3986 ``host[:port]``.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from aiohttp import web

from gateway.errors import ProblemError

# A DNS label as hosts are really named: letters, digits, hyphens, and underscores (Docker and
# Kubernetes service names have them), 1 to 63 characters.
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_PORT = re.compile(r"[0-9]{1,5}")
_NAME_MAX = 253


# Clients of one gateway send a handful of hosts: remembered, the check costs a dict lookup
# per request instead of a parse (4% of a fast request). Bounded, so junk hosts only evict.
@lru_cache(maxsize=512)
def host_problem(host: str) -> str | None:
    """Why ``host`` (a ``Host`` header's value) cannot be used, or None when it can."""
    if not host:
        return "the Host header is empty"
    if not host.isascii():
        return "the Host header must be ASCII (send an internationalised name as xn-- labels)"
    if host.startswith("["):
        literal, _, rest = host[1:].partition("]")
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return "the bracketed address in the Host header is not an IPv6 address"
        if rest and not rest.startswith(":"):
            return "the Host header has text after its IPv6 address"
        port = rest[1:] if rest else None
    else:
        name, colon, port_text = host.partition(":")
        port = port_text if colon else None
        problem = _name_problem(name)
        if problem:
            return problem
    if port is not None and not (_PORT.fullmatch(port) and int(port) <= 65535):
        return "the port in the Host header must be a number from 0 to 65535"
    return None


def _name_problem(name: str) -> str | None:
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    if len(name) > _NAME_MAX or not all(_LABEL.fullmatch(label) for label in labels):
        return "the Host header is not a host name, IPv4 address or [IPv6] address"
    for label in labels:
        if label[:4].lower() == "xn--":
            try:
                label.encode("ascii").decode("idna")
            except UnicodeError:
                return f"the Host header's label {label!r} is not valid IDNA"
    return None


def check_host(request: web.BaseRequest) -> None:
    """Raise a 400 :class:`ProblemError` when the request's host cannot be used in a URL."""
    problem = host_problem(request.host)
    if problem is not None:
        raise ProblemError(400, f"{problem}; it cannot be used to answer this request.")
