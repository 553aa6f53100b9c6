"""Claiming the addresses to listen on before anything else starts.

``gateway serve`` binds its addresses first: a port that is taken (or an address this host
does not have) is then a one-line error naming the setting and the fix, before any plugin has
migrated a database or a drain has been logged. aiohttp's own site would bind only after
every plugin had started, and fail with a traceback. Listening starts, as before, once the
gateway has started: until then a connection is refused, not queued.
"""

from __future__ import annotations

import errno
import ipaddress
import socket


class ListenError(Exception):
    """An address the gateway was told to listen on cannot be used; the message says why and
    how to fix it."""


def bind(host: str, port: int, setting: str) -> socket.socket:
    """A TCP socket bound to ``host:port``, not listening yet; ``setting`` names where the
    address comes from (``[gateway] host and port, or --host and --port``) in the error.

    Bound, not listening: binding is what fails when another process listens there, and a
    socket that listened before the plugins had started would queue clients' connections
    (and pass a TCP health check) while nothing could answer them. The site that serves it
    (aiohttp's ``SockSite``) starts listening once the gateway has started.
    """
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:  # a name: resolved by bind, as IPv4
        family = socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As asyncio's create_server sets them: a restart may bind over connections still in
        # TIME_WAIT, and an IPv6 address is that address alone.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenError(explain(host, port, setting, exc)) from None
    return sock


def check_free(host: str, port: int, setting: str) -> None:
    """Raise :class:`ListenError` now if ``host:port`` cannot be listened on (for gunicorn,
    which binds in its own way later, and says only "Connection in use", five times)."""
    bind(host, port, setting).close()


def explain(host: str, port: int, setting: str, exc: OSError) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {where}: the address is already in use (fix: stop the process "
            f"listening there, `ss -ltnp 'sport = :{port}'` shows it, or choose another port "
            f"with {setting})"
        )
    if exc.errno == errno.EACCES:
        return (
            f"cannot listen on {where}: permission denied (fix: ports below 1024 need root or "
            f"CAP_NET_BIND_SERVICE; choose a port of 1024 or more with {setting})"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {where}: this host has no such address (fix: use one of its "
            f"addresses, 127.0.0.1 or 0.0.0.0 for all, with {setting})"
        )
    if isinstance(exc, socket.gaierror):
        return f"cannot listen on {where}: {host!r} is not a known host name (fix: {setting})"
    return f"cannot listen on {where}: {exc.strerror or exc} (fix: {setting})"
