"""The URL of a plugin's store (``memory://``, ``redis://host:6379/0``), checked whole when the
config is read.

A URL that the client library would refuse only when the plugin starts (limits, aiocache), or
on the first request (redis-py connects lazily), is a config error instead: ``gateway check``
and ``gateway serve`` name the file and the key and say what to write, as for any other
setting. The ratelimit, auth, crypto and cache plugins validate their store settings with
:func:`check_store_url`.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from redis.connection import parse_url

MEMORY_OR_REDIS = ("memory", "redis", "rediss")
EXAMPLE = "redis://127.0.0.1:6379/0"
SOCKET_EXAMPLE = "redis+unix:///run/redis/redis.sock"
USE = 'use "memory://" (this process only) or "redis://host:6379/0" (shared by every process)'


def check_store_url(value: str, schemes: Sequence[str] = MEMORY_OR_REDIS) -> str:
    """``value``, when it is a URL of one of ``schemes`` that can be opened: ``memory://``,
    ``redis://`` or ``rediss://`` with a host (a port, a database number and redis-py's query
    options optional), ``redis+unix://`` with a socket path.

    Raises ``ValueError`` saying what to write otherwise; raised in a pydantic validator, it is
    reported as ``FILE: plugins.NAME.KEY: ...`` with the value (its password hidden).
    """
    scheme = urlsplit(value).scheme
    if scheme not in schemes:
        raise ValueError(f"{scheme or value!r} storage is not supported: {USE}")
    if not value.startswith(f"{scheme}://"):
        example = "memory://" if scheme == "memory" else EXAMPLE
        raise ValueError(f'not a URL: "{scheme}:" is followed by "//", as in "{example}"')
    parts = urlsplit(value)
    if scheme == "memory":
        if parts.netloc or parts.path not in ("", "/"):
            raise ValueError('the memory storage takes no host or path: write "memory://"')
        return value
    if scheme == "redis+unix":
        if not parts.path.strip("/"):
            raise ValueError(f"a Redis socket URL needs the socket's path, as in {SOCKET_EXAMPLE}")
        return value
    if not parts.hostname:
        raise ValueError(f"a Redis URL needs a host, as in {EXAMPLE}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError(f"the port of a Redis URL is a number from 1 to 65535, as in {EXAMPLE}")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ValueError(f"the Redis database must be a number, as in {EXAMPLE}")
    try:
        parse_url(value)  # redis-py's own reading: its query options (?socket_timeout=...)
    except ValueError as exc:
        raise ValueError(f"redis-py cannot use this URL: {exc}") from None
    return value
