"""The seam to aiohttp's and asyncio's internals: the one module of the project that reads or
writes their private names.

Every function here has two paths. The fast one reads aiohttp's (or asyncio's) own fields,
checked against the installed aiohttp by tests/host/test_aiohttp_seam.py, which fails loudly
when an upgrade renames one. The public one, taken when the environment has
``GATEWAY_PUBLIC_API=1`` (read once, at import), uses aiohttp's documented API only: the whole
test suite runs on it with the same answers, so a future aiohttp that breaks a fast path costs
the gateway speed, never correctness. Run ``GATEWAY_PUBLIC_API=1 gateway serve`` (or any test)
to take it.

A private name is kept here only where it buys a measured 2% or more of the server's
instructions per request (``bench/instructions.py``, each seam switched to its public path
alone; docs/architecture.md, "The aiohttp seam", has the table). Measured below that, the
public API is used directly where the value is needed, not through this module:
``match_info.apps`` and the ``current_app`` setter (0.6-0.9% of a request) and
``asyncio.current_task()`` (under 1%).

The request path, what each kept seam buys (thousands of instructions per request, of
``GET /health/live`` as shipped, about 224k, and with auth and ratelimit on it, about 282k):

- :func:`route`, :func:`dispatcher_parts`: the gateway's own
  dispatcher (gateway/dispatch.py) instead of aiohttp's handling, which wraps every handler in
  one middleware layer per application; 39k (18%) and 50k (18%). Its public path is not a
  variant of the dispatcher but aiohttp's own handling, the ``request_handler`` of the server
  aiohttp's ``AppRunner`` builds: the root served as aiohttp serves any application.
- :func:`access_facts`: what the access log (gateway/access_log.py)
  writes of a request and its answer, read from their own fields instead of a property call
  each; 11k (5%) and 9k (3%).
- :func:`request_state` (and :func:`app_state`): the request's own dict for per-request
  values (the id, the identity, the client address, the response fields), where
  ``request.get`` of a missing key raises and catches a KeyError, and an application's for
  its plugin name; nothing measurable on ``/health/live``, 12k (4%) with auth
  and ratelimit, which read two keys that an anonymous request lacks.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from operator import attrgetter
from typing import Any

from aiohttp import hdrs, web

PUBLIC_API = os.environ.get("GATEWAY_PUBLIC_API") == "1"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# ---------------------------------------------------------------------------------------------
# The request path: routing (gateway/dispatch.py)
# ---------------------------------------------------------------------------------------------

#: Every private name this module reads or writes, by the class (or module) that has it:
#: tests/host/test_aiohttp_seam.py checks each exists on a live object of the installed aiohttp.
PRIVATE_NAMES: dict[str, tuple[str, ...]] = {
    "Application": ("_state",),
    "Request": ("_match_info", "_state", "_message", "_transport_peername"),
    "UrlMappingMatchInfo": ("_apps",),
    "UrlDispatcher": ("_resource_index", "_matched_sub_app_resources"),
    "StreamResponse": ("_status", "_body_length"),
}


def route(request: web.Request, match_info: web.UrlMappingMatchInfo) -> list[web.Application]:
    """Make ``match_info`` the request's, as ``Application._handle`` does, and return its
    applications (root first): the list itself, not the tuple ``.apps`` copies it into.

    Fast path only: under ``GATEWAY_PUBLIC_API=1`` the gateway's dispatcher is not used
    (gateway/dispatch.py serves with aiohttp's own handler instead).
    """
    request._match_info = match_info
    return match_info._apps  # type: ignore[attr-defined,no-any-return]


def dispatcher_parts(
    router: web.UrlDispatcher,
) -> tuple[Sequence[Any], dict[str, list[Any]]]:
    """The root router's rule-matched sub-application resources (``add_domain``'s) and its
    index of resources by path prefix, as its own ``resolve`` walks them: what lets the
    dispatcher send a plugin's paths straight to the plugin's router.

    Fast path only, read once when the dispatcher is built (see :func:`route`).
    """
    matched = router._matched_sub_app_resources  # type: ignore[attr-defined]
    index = router._resource_index  # type: ignore[attr-defined]
    return matched, index


# ---------------------------------------------------------------------------------------------
# The request path: the access log (gateway/access_log.py)
# ---------------------------------------------------------------------------------------------

AccessFacts = tuple[Any, ...]
"""``(state, method, path, user_agent, peer, apps, status, body_length)``: ``state`` is the
request's mapping (``.get(key)``), ``peer`` the socket peer's address (``None`` for a UNIX
socket's unnamed peer), ``apps`` the matched applications, root first (``None`` when the
request was answered before routing: a request the HTTP parser refused)."""


def _access_facts_fast(request: web.BaseRequest, response: web.StreamResponse) -> AccessFacts:
    # The request's and the response's own fields: each public property is a Python call,
    # and with a call per field the access line cost about a tenth of a fast request.
    message = request._message
    peer = request._transport_peername
    if type(peer) is tuple:
        peer = peer[0]
    elif peer is not None and type(peer) is not str:  # a UNIX socket's bytes
        peer = request.remote
    match_info = getattr(request, "_match_info", None)  # None: answered before routing
    return (
        request._state,
        message.method,
        message.path,
        message.headers.get(hdrs.USER_AGENT, "-"),
        peer,
        match_info._apps if match_info is not None else None,
        response._status,
        response._body_length,
    )


def _access_facts_public(request: web.BaseRequest, response: web.StreamResponse) -> AccessFacts:
    try:
        apps: Sequence[web.Application] | None = request.match_info.apps  # type: ignore[attr-defined]
    except (AttributeError, AssertionError):  # aiohttp asserts the request was routed
        apps = None
    return (
        request,
        request.method,
        request.raw_path,
        request.headers.get(hdrs.USER_AGENT, "-"),
        request.remote,
        apps,
        response.status,
        response.body_length,
    )


access_facts: Callable[[web.BaseRequest, web.StreamResponse], AccessFacts] = (
    _access_facts_public if PUBLIC_API else _access_facts_fast
)
"""What the access log writes of ``request`` and its answer ``response`` (see
:data:`AccessFacts`), read after the answer is sent."""


def _itself(mapping: Any) -> Any:
    return mapping


# The fast paths are attrgetters: a call into C with no Python frame, on every request.
app_state: Callable[[web.Application], Any] = _itself if PUBLIC_API else attrgetter("_state")
"""``app`` as a mapping to ``.get`` from: its own dict on the fast path (``Application.get``
is a Python call around it)."""


# ---------------------------------------------------------------------------------------------
# The request path: per-request state (gateway/app.py, gateway/identity.py, ...)
# ---------------------------------------------------------------------------------------------


request_state: Callable[[web.BaseRequest], Any] = _itself if PUBLIC_API else attrgetter("_state")
"""``request`` as a mapping of its per-request values (``.get(key)``, ``[key] = value``): its
own dict on the fast path, where ``request.get`` of a missing key raises and catches a KeyError
inside ``Mapping.get``."""


# --- Connection layer ---
# gateway/protocol.py, gateway/drain.py and gateway/testing.py read no private name: the
# runner, the server and the connections are built on aiohttp's public constructors, methods and
# attributes. One private path was measured and dropped: watching aiohttp's queue of parsed
# messages (``RequestHandler._messages``, ``_ErrInfo``, ``_current_request``) to fail a body at
# once when a malformed chunk arrives while its handler reads it. It answered that client 400
# at once instead of 408 at ``[gateway] body_timeout``, and cost every request a Python
# ``data_received`` override: 212.4k instructions for ``GET /health/live`` against 208.3k
# without it (bench/instructions.py, 2026-12-06), about 2% of the fastest request.
