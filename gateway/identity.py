"""Who is calling: the identity an authentication middleware establishes for a request.

Any plugin may establish it (the built-in auth plugin from API keys; a third-party one from a
JWT or from mTLS headers set by a proxy) by storing an :class:`Identity` under
``request[gateway.IDENTITY]``; rate limiting, authorization and handlers read it from there and
need not know where it came from. An anonymous request has none.
"""

from __future__ import annotations

from aiohttp import web

from gateway.aiohttp_seam import request_state
from gateway.contract import (
    Identity as Identity,
)

# Who is calling, once an authentication middleware has established it; absent: anonymous.
IDENTITY = web.RequestKey("gateway.identity", Identity)


def identity_of(request: web.BaseRequest) -> Identity | None:
    """``request.get(gateway.IDENTITY)``: the identity established for ``request``, or
    ``None`` for an anonymous request."""
    return request_state(request).get(IDENTITY)
