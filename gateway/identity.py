"""Who is calling: the identity an authentication middleware establishes for a request.

Any plugin may establish it (the built-in auth plugin from API keys; a third-party one from a
JWT or from mTLS headers set by a proxy) by storing an :class:`Identity` under
``request[gateway.IDENTITY]``; rate limiting, authorization and handlers read it from there and
need not know where it came from. An anonymous request has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from gateway.aiohttp_seam import request_state


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: a name fit for logs and counters, and what it may do.

    ``name`` never is the credential itself (an API key's configured name, a token's subject);
    ``scopes`` are the permissions the credential grants; ``provider`` names the middleware
    that established it (``auth:api-key``).
    """

    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    provider: str = ""

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


# Who is calling, once an authentication middleware has established it; absent: anonymous.
IDENTITY = web.RequestKey("gateway.identity", Identity)


def identity_of(request: web.BaseRequest) -> Identity | None:
    """``request.get(gateway.IDENTITY)``: the identity established for ``request``, or
    ``None`` for an anonymous request."""
    return request_state(request).get(IDENTITY)
