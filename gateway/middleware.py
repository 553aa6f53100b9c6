"""Plugin middlewares: what a plugin contributes, where it applies, in which order it runs.

A plugin contributes :class:`Middleware` objects through ``gateway_middlewares``. The host
places each one on the *scopes* the operator chose (``apply_to`` and ``skip`` in the plugin's
table: mounted plugins and the gateway's own paths ``/_gateway`` and ``/metrics``), orders
every scope's middlewares by priority (higher first, ties by plugin name, then by the order a
plugin listed them), and runs that chain inside the one root middleware. A scope without
middlewares costs one dictionary lookup per request, not a middleware layer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

from aiohttp import web

from gateway.aiohttp_seam import app_state
from gateway.contract import (
    Handler as Handler,
    Middleware as Middleware,
    MiddlewareHandler as MiddlewareHandler,
    Priority as Priority,
)
from gateway.errors import answer_error
from gateway.keys import PLUGIN_NAME

#: A scope's middlewares around a route's handler: ``chain(handler)(request)``.
Chain = Callable[[Handler], Handler]

# The gateway's own paths, as scopes: always there (``/metrics`` when metrics are on).
OWN_SCOPES = ("/_gateway", "/metrics")


@dataclass(frozen=True)
class PlacedMiddleware:
    """A contributed middleware with its plugin, its effective priority and its scopes."""

    plugin: str
    middleware: Middleware
    priority: int
    index: int
    scopes: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.plugin}:{self.middleware.name}"

    def sort_key(self) -> tuple[int, str, int]:
        return (-self.priority, self.plugin, self.index)


def place(
    plugin: str,
    middlewares: Sequence[Middleware],
    *,
    priority: int | None,
    apply_to: Sequence[str] | None,
    skip: Sequence[str],
    scopes: dict[str, str],
) -> list[PlacedMiddleware]:
    """Place a plugin's middlewares: ``scopes`` maps every scope to its names (a mounted
    plugin's name and prefix, or an own path) as ``{name_or_prefix: scope}``."""
    all_scopes = frozenset(scopes.values())
    chosen = all_scopes if apply_to is None else frozenset(scopes[entry] for entry in apply_to)
    chosen -= {scopes[entry] for entry in skip}
    return [
        PlacedMiddleware(
            plugin,
            middleware,
            middleware.priority if priority is None else priority,
            i,
            chosen if apply_to is not None else chosen - _left_off(middleware, scopes),
        )
        for i, middleware in enumerate(middlewares)
    ]


def _left_off(middleware: Middleware, scopes: dict[str, str]) -> frozenset[str]:
    """The scopes ``middleware`` stays off by default (those of its names that are mounted)."""
    return frozenset(scopes[name] for name in middleware.default_skip if name in scopes)


def chains(
    placed: Iterable[PlacedMiddleware], scopes: Iterable[str]
) -> dict[str, list[PlacedMiddleware]]:
    """Every scope's middlewares, in the order they run."""
    ordered = sorted(placed, key=PlacedMiddleware.sort_key)
    return {scope: [p for p in ordered if scope in p.scopes] for scope in scopes}


def compose(
    chain: Sequence[PlacedMiddleware],
    inner: Callable[[Handler, web.Request], Awaitable[web.StreamResponse]] | None = None,
) -> Chain | None:
    """``chain`` around a handler: ``compose(chain)(handler)`` is the handler wrapped in it
    (built once per handler), or ``None`` for an empty chain.

    Each middleware's ``handler`` answers errors as problem+json responses instead of raising
    them, so a middleware sees (and may decorate: CORS, RateLimit headers) every answer of
    what runs inside it, a 404 or another middleware's 401 included. Redirects and 304s, which
    aiohttp raises, still propagate as exceptions. The outermost middleware's own errors are
    raised to the caller, which must answer them (the root middleware does).
    ``inner(handler, request)``, if given, runs innermost, around the route's handler, and
    answers that handler's errors itself (as :func:`_answering` does): one layer less on every
    request.

    A middleware that says ``sees_answers=False`` gets no such layer inside it: what it calls
    may raise through it, to be answered by the next layer out that has one, or by the
    caller. Where no middleware of the chain sees answers, the route's handler is called as
    it is, and the caller answers its errors and checks its file (the composed chain's
    ``answers_inside`` is ``False``).

    The layers around a route's handler are built once per handler, as aiohttp caches its own
    middleware chains, not on every request.
    """
    if not chain:
        return None
    # Each middleware, innermost first, with whether the one outside it sees answers (the
    # outermost's, answered by the caller, is never asked).
    inner_first = [
        (chain[i].middleware.handler, chain[i - 1].middleware.sees_answers)
        for i in range(len(chain) - 1, 0, -1)
    ]
    outermost = chain[0].middleware.handler
    # The route handler's errors and missing file are answered innermost where any middleware
    # sees answers: one further out sees them as answers too, a missing file as its problem.
    answers_inside = any(p.middleware.sees_answers for p in chain)

    @lru_cache(maxsize=1024)  # route handlers; 404/405 handlers, new each time, are evicted
    def around(handler: Handler) -> Handler:
        wrapped: Handler = handler
        if answers_inside:
            wrapped = partial(inner, handler) if inner is not None else partial(_answering, handler)
        for middleware, outer_sees in inner_first:
            wrapped = partial(middleware, handler=wrapped)
            if outer_sees:
                wrapped = partial(_answering, wrapped)
        # The outermost middleware's own errors are the caller's to answer (the root
        # middleware answers them as _answering would): no layer of its own.
        return partial(outermost, handler=wrapped)

    # The chain is ``around`` itself: the root middleware calls ``chain(handler)(request)``,
    # with no frame of ours between. Read by it too: whether this chain's answers get the
    # response fields, and whether the route handler's errors and file are answered inside it.
    around.adds_fields = adds_fields(chain)  # type: ignore[attr-defined]
    around.answers_inside = answers_inside  # type: ignore[attr-defined]
    return around


def adds_fields(chain: Sequence[PlacedMiddleware]) -> bool:
    """Whether a middleware of ``chain`` adds response fields or prepare callbacks."""
    return any(p.middleware.adds_fields for p in chain)


async def _answering(handler: Handler, request: web.Request) -> web.StreamResponse:
    try:
        return await handler(request)
    except Exception as exc:
        return answer_error(request, exc)


def mounted_plugin(request: web.BaseRequest) -> str | None:
    """The name of the plugin whose prefix ``request`` is under; ``None`` for the gateway's
    own paths and paths no plugin is mounted on."""
    apps = request.match_info.apps  # type: ignore[attr-defined]
    return app_state(apps[1]).get(PLUGIN_NAME) if len(apps) > 1 else None


def own_scope(path: str) -> str | None:
    """The gateway's own scope ``path`` is in (``/_gateway`` or ``/metrics``), if any."""
    if path == "/_gateway" or path.startswith("/_gateway/"):
        return "/_gateway"
    if path == "/metrics":
        return "/metrics"
    return None


def request_scope(request: web.BaseRequest) -> str | None:
    """The scope ``request`` belongs to, as ``apply_to`` names it: the mounted plugin's name,
    ``/_gateway`` or ``/metrics``; ``None`` for a path nothing is mounted on."""
    return mounted_plugin(request) or own_scope(request.path)


def scopes_named(names: Iterable[str], scopes: Mapping[str, str], setting: str) -> dict[str, str]:
    """Each of ``names`` (plugin names or prefixes an operator wrote in ``setting``) with the
    scope it names; raises ValueError naming the ones that match nothing mounted."""
    names = list(names)
    unknown = [name for name in names if name not in scopes]
    if unknown:
        raise ValueError(
            f"{setting}: {', '.join(map(repr, unknown))} names no mounted plugin or prefix "
            f"(mounted: {', '.join(sorted(scopes))})"
        )
    return {name: scopes[name] for name in names}


def is_preflight(request: web.BaseRequest) -> bool:
    """Shaped like a CORS preflight: ``OPTIONS`` with ``Origin`` and
    ``Access-Control-Request-Method`` (the cors plugin's test for what it answers).

    Not a reason to let a request through: a preflight the cors plugin answers never reaches
    the middlewares it runs outside of, and anyone can send this shape where cors does not
    answer it (off, narrowed by ``apply_to``/``skip``, or placed inside by ``priority``).
    """
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )
