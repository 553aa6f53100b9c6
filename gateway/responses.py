"""JSON responses encoded with orjson, the one JSON encoder of the gateway."""

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

# The Server header of every response: aiohttp's default names the Python and aiohttp versions,
# which tell an attacker which published bugs to try.
SERVER = "gateway"


def json_response(
    data: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
) -> web.Response:
    """A response whose body is ``data`` encoded by orjson (datetimes as ISO 8601)."""
    return web.Response(
        body=orjson.dumps(data),
        status=status,
        headers=headers,
        content_type=content_type,
    )
