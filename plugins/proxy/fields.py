"""Header fields of a forwarded request and of the answer relayed back.

Hop-by-hop fields (RFC 9110 section 7.6.1) belong to one connection and are never relayed,
either way, nor are the fields a ``Connection`` field names. What the client says about
forwarding (``Forwarded``, ``X-Forwarded-*``) is replaced by what the gateway itself decided
(gateway.client_address honours only ``[gateway] trusted_proxies``), so an upstream can trust
it. Credentials meant for the gateway stay at the gateway unless the operator says otherwise.
"""

from __future__ import annotations

from aiohttp import HttpVersion11, web
from multidict import CIMultiDict, CIMultiDictProxy, istr

from gateway import client_address, identity_of, request_id_of

HOP_BY_HOP = frozenset(
    istr(name)
    for name in (
        "Connection",
        "Keep-Alive",
        "Proxy-Connection",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
    )
)
# Set by the proxy from its own decisions; a client's values never pass.
FORWARDING = frozenset(
    istr(name)
    for name in (
        "Forwarded",
        "X-Forwarded-For",
        "X-Forwarded-Proto",
        "X-Forwarded-Host",
        "X-Forwarded-Port",
        "X-Real-IP",
    )
)
# The request's framing is the proxy's to set; Expect was answered by the gateway itself.
_REQUEST_FRAMING = frozenset(istr(n) for n in ("Host", "Content-Length", "Expect"))
# The gateway answers with its own Server and request id.
_RESPONSE_OWN = frozenset(istr(n) for n in ("Server", "X-Request-ID", "Content-Length"))
_RESPONSE_DROPPED = HOP_BY_HOP | _RESPONSE_OWN
_NONE_NAMED: frozenset[istr] = frozenset()


def connection_named(
    headers: CIMultiDict[str] | CIMultiDictProxy[str],
) -> frozenset[istr] | set[istr]:
    """The field names a ``Connection`` field lists (they are hop-by-hop too)."""
    if "Connection" not in headers:  # most requests and answers on keep-alive HTTP/1.1
        return _NONE_NAMED
    named: set[istr] = set()
    for value in headers.getall("Connection", ()):
        named.update(istr(token.strip()) for token in value.split(",") if token.strip())
    return named


def _node(address: str) -> str:
    """An address as a ``Forwarded`` node: IPv6 quoted and bracketed (RFC 7239).

    ``address`` is gateway.client_address's: an IP address, or "-" when none is known.
    """
    if ":" in address:
        return f'"[{address}]"'
    return address if address and address != "-" else "unknown"


class RequestFields:
    """What the proxy removes from and adds to every forwarded request (one per instance)."""

    def __init__(
        self,
        *,
        pass_credentials: bool,
        credential_fields: list[str],
        identity_field: str | None,
        via: str,
    ) -> None:
        dropped = set(HOP_BY_HOP) | FORWARDING | _REQUEST_FRAMING
        if not pass_credentials:
            dropped |= {istr(name) for name in credential_fields}
        if identity_field is not None:
            dropped.add(istr(identity_field))
        self._dropped = frozenset(dropped)
        self._identity_field = identity_field
        self._via = via
        self._via_11 = f"1.1 {via}"  # what nearly every request's Via says, made once

    def build(
        self, request: web.BaseRequest, host: str, *, upgrade: bool = False
    ) -> CIMultiDict[str]:
        """The fields sent to a target for ``request``; ``host`` is the Host to send."""
        dropped = self._dropped
        headers = request.headers
        named = connection_named(headers)
        if named:
            dropped = dropped | named
        out: CIMultiDict[str] = CIMultiDict()
        for name, value in headers.items():
            if name not in dropped:
                out.add(name, value)
        out["Host"] = host
        length = headers.get("Content-Length")
        if length is not None:  # also "0": an empty POST keeps saying so (some servers 411)
            out["Content-Length"] = length
        address = client_address(request)
        scheme = request.scheme
        client_host = request.host
        out["X-Forwarded-For"] = address
        out["X-Forwarded-Proto"] = scheme
        out["X-Forwarded-Host"] = client_host
        out["Forwarded"] = f'for={_node(address)};proto={scheme};host="{client_host}"'
        version = request.version
        out.add(
            "Via",
            self._via_11
            if version == HttpVersion11
            else f"{version.major}.{version.minor} {self._via}",
        )
        out["X-Request-ID"] = request_id_of(request)
        if self._identity_field is not None:
            identity = identity_of(request)
            if identity is not None:
                out[self._identity_field] = identity.name
        return out


def relayed_fields(headers: CIMultiDictProxy[str], via: str) -> CIMultiDict[str]:
    """The target's answer fields as relayed to the client, with ``via`` (``1.1 gateway``)
    added; framing (``Content-Length``, chunking) is set by the caller from what the target
    sent."""
    named = connection_named(headers)
    dropped = _RESPONSE_DROPPED | named if named else _RESPONSE_DROPPED
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        if name not in dropped:
            out.add(name, value)
    out.add("Via", via)
    return out
