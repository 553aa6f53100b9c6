"""Trusted proxies: the client's address, scheme and host as the nearest trusted proxy saw them.

``[gateway] trusted_proxies`` lists the addresses (or networks) of the proxies in front of the
gateway. From one of them, one family of headers is honoured, the one the operator's proxy
writes (``[gateway] forwarded_header``): ``X-Forwarded-For``, ``X-Forwarded-Proto``,
``X-Forwarded-Host`` and ``X-Forwarded-Port`` (``"x-forwarded"``, the default: what nginx,
HAProxy and cloud load balancers write), or ``Forwarded`` (RFC 7239, ``"forwarded"``). Absolute
URLs, the access log, rate limits and auth's wrong-key guard then see the client, not the
proxy. The other family is never read: a proxy that sets one passes the other through as the
client sent it (nginx passes a client's ``Forwarded`` untouched), so believing both would let
any client choose its own address and host (issue 34). From anyone else, neither family
changes anything. Values that are not a plain address, scheme or host are ignored rather
than trusted.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from aiohttp import web

from gateway.aiohttp_seam import request_state
from gateway.keys import CLIENT_ADDRESS

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# ``[gateway] forwarded_header``: the header family a trusted proxy writes.
ForwardedFamily = Literal["x-forwarded", "forwarded"]

# A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port.
_HOST = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::(\d{1,5}))?$"
)
_SCHEMES = ("http", "https")


def parse_networks(entries: Sequence[str]) -> tuple[IPNetwork, ...]:
    """``["127.0.0.1", "10.0.0.0/8"]`` as networks; raises ValueError naming a bad entry."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


@dataclass(frozen=True)
class Forwarded:
    """What the trusted proxy says of the client; ``None`` where it said nothing usable."""

    client: str | None
    scheme: str | None
    host: str | None


class TrustedProxies:
    """The configured proxies, and the forwarded headers of a request that came through them."""

    def __init__(
        self, networks: Sequence[IPNetwork], family: ForwardedFamily = "x-forwarded"
    ) -> None:
        self._networks = tuple(networks)
        self.family = family

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str | None) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self._networks)

    def forwarded(self, request: web.BaseRequest) -> Forwarded | None:
        """The forwarded client, scheme and host, or ``None`` unless the peer is trusted."""
        if not self.trusts(request.remote):
            return None
        if self.family == "forwarded":
            elements = request.forwarded
            if not elements:
                return None
            chain = [_node(element.get("for")) for element in elements]
            nearest = elements[-1]
            return Forwarded(
                self._client(chain),
                _scheme(nearest.get("proto")),
                _host(nearest.get("host")),
            )
        headers = request.headers
        hops = ",".join(headers.getall("X-Forwarded-For", ())).split(",")
        host = _host(_last(headers.get("X-Forwarded-Host")))
        port = _last(headers.get("X-Forwarded-Port"))
        bare = host is not None and (match := _HOST.match(host)) is not None and not match[1]
        if bare and port and port.isdigit():
            host = _host(f"{host}:{port}")
        return Forwarded(
            self._client([_node(hop) for hop in hops if hop.strip()]),
            _scheme(_last(headers.get("X-Forwarded-Proto"))),
            host,
        )

    def _client(self, chain: list[str | None]) -> str | None:
        # Walk back from the nearest hop: the first one this gateway does not trust is the
        # client; hops further left were written by the client and prove nothing.
        for hop in reversed(chain):
            if hop is None:
                return None
            if not self.trusts(hop):
                return hop
        return chain[0] if chain else None


def apply_forwarded(request: web.Request, trusted: TrustedProxies) -> web.Request:
    """``request`` as the client made it, when it came through a trusted proxy."""
    forwarded = trusted.forwarded(request)
    if forwarded is None:
        return request
    changes: dict[str, Any] = {}
    if forwarded.client is not None:
        # Set on the original too: the access log is written from it.
        request[CLIENT_ADDRESS] = forwarded.client
        changes["remote"] = forwarded.client
    if forwarded.scheme is not None:
        changes["scheme"] = forwarded.scheme
    if forwarded.host is not None:
        changes["host"] = forwarded.host
    return request.clone(**changes) if changes else request


@lru_cache(maxsize=4096)
def address_bucket(address: str, ipv6_prefix: int = 64) -> str:
    """What counts as one client for limits: an IPv4 address as it is, an IPv4-mapped IPv6
    address as its IPv4 address, any other IPv6 address as its ``/ipv6_prefix`` network
    (``2001:db8::/64``); anything else (``-``, a name) unchanged."""
    if ":" not in address:  # IPv4 or no address: nothing to parse
        return address
    ip = _ip(address)
    if not isinstance(ip, ipaddress.IPv6Address):
        return address
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((ip, ipv6_prefix), strict=False))


def client_address(request: web.BaseRequest) -> str:
    """The client's address: the forwarded one behind a trusted proxy, else the socket peer."""
    return request_state(request).get(CLIENT_ADDRESS) or request.remote or "-"


def _ip(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not address:
        return None
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _node(value: str | None) -> str | None:
    """An address from a ``for=`` or X-Forwarded-For hop (``"[::1]:80"``, ``1.2.3.4:5``)."""
    if not value:
        return None
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    ip = _ip(value)
    return str(ip) if ip is not None else None


def _last(value: str | None) -> str | None:
    return value.rsplit(",", 1)[-1].strip() if value else None


def _scheme(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value if value in _SCHEMES else None


def _host(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().strip('"')
    match = _HOST.match(value)
    if match is None or (match.group(1) is not None and int(match.group(1)) > 65535):
        return None
    return value.lower()
