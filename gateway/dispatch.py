"""How a served request reaches its handler: aiohttp's routing, without its per-app layers.

Once any application in the tree has a middleware, aiohttp's ``Application._handle`` wraps
every handler in one more middleware per application the request passes through
(``_fix_request_current_app``), whose only work is to set ``request.app``. The gateway's root
middleware and one mounted plugin so cost three middleware layers per request: served that
way, a ``GET /health/live`` runs 18% more instructions (39k of 224k; docs/architecture.md,
"The aiohttp seam").
:func:`dispatcher` makes the request handler the gateway's runner (gateway/protocol.py) serves
with instead. It routes as ``_handle`` does, then calls the root's middleware directly, with
``request.app`` already the application that will answer, and wraps a handler in a plugin
sub-application's own middlewares (with aiohttp's ``request.app`` for them) only when that
plugin has some.

This is a seam: setting the request's match info and reading the root router's index are
aiohttp internals, kept in gateway/aiohttp_seam.py (:func:`~gateway.aiohttp_seam.route`,
:func:`~gateway.aiohttp_seam.dispatcher_parts`). With ``GATEWAY_PUBLIC_API=1`` the root is
served by aiohttp's own handling instead (the public ``request_handler`` of aiohttp's server),
with the same answers: tests/host/test_dispatch.py and tests/host/test_aiohttp_seam.py run
one set of requests both ways and compare them. Served any other way (aiohttp's
``AppRunner``, its test client), aiohttp's handling runs too.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache, partial
from typing import Any, NamedTuple

from aiohttp import hdrs, web
from aiohttp.web_urldispatcher import MatchInfoError, PrefixedSubAppResource

from gateway.aiohttp_seam import PUBLIC_API, dispatcher_parts, route
from gateway.errors import PROBLEM_CONTENT_TYPE, ProblemError, answer_error, problem_response
from gateway.expect import before_handler, expects_continue, owe_continue, refused_unread
from gateway.metrics import observe_unparsed
from gateway.request_id import HEADER, choose_request_id, stamp
from gateway.transfer_coding import refused_coding

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Observe = Callable[[web.Request, int, float], None]


class Served(NamedTuple):
    """The request handler of one application tree, and how to retire it.

    A connection keeps the handler it was made with (aiohttp's ``RequestHandler`` reads its
    server's ``request_handler`` once), so when a reload in one process serves a new tree
    (gateway/reload.py), the old handler is told to pass every later request on to
    ``retire``'s argument, the server's current one: an open keep-alive connection is then
    answered by the new tree, at the cost, for the tree being served, of one closure read.
    """

    handle: Handler
    retire: Callable[[Handler], None]


def dispatcher(root: web.Application, stock: Handler, observe: Observe | None = None) -> Served:
    """The request handler serving ``root``, the application gateway.app.create_app built
    (frozen: its routes and its one middleware are final).

    ``stock`` is aiohttp's own handler of ``root`` (the public ``request_handler`` of the
    server aiohttp's runner builds), served instead under ``GATEWAY_PUBLIC_API=1``.
    ``observe`` counts an answer given before the root middleware runs (an ``Expect`` it does
    not know) for ``/metrics``, as the root middleware counts every other.
    """
    if PUBLIC_API:
        return _expecting_problems(stock, observe)
    router = root.router
    # gateway.app.create_app gives the root one middleware, called here as it is; with
    # tracing on, the server span's outside it (gateway/tracing.py), stacked once here.
    root_middleware = _stacked(root.middlewares)
    # The applications with middlewares of their own (notes has one), by id: a request to a
    # plugin without any is not wrapped, nor its handler looked up in the cache (whose key
    # hashes the applications, in Python).
    with_own = {id(app) for app in _apps_below(root) if app.middlewares}
    mounted = _direct_prefixes(router)
    forward: Handler | None = None  # set once a reload serves another tree

    async def dispatch(request: web.Request) -> web.StreamResponse:
        if forward is not None:  # retired: the tree served now answers (see Served)
            return await forward(request)
        if (refused := refused_coding(request)) is not None:
            return _refuse(request, refused, observe)
        # The plugin a path is under, found as the root router's walk would find it (the
        # longest prefix first), and its own router asked directly: the root's walk and the
        # mount's resolve are two coroutines and a few sets per request.
        part = request.rel_url.path_safe
        while (sub := mounted.get(part)) is None and part != "/":
            part = part.rpartition("/")[0] or "/"
        if sub is not None:
            match_info = await sub.router.resolve(request)
            match_info.add_app(sub)
        else:
            match_info = await router.resolve(request)
        match_info.add_app(root)
        match_info.freeze()
        apps = route(request, match_info)  # request.match_info, as Application._handle sets it
        handler = match_info.handler
        expect = request.headers.get(hdrs.EXPECT)
        continuing = False
        if expect:
            if expects_continue(expect):
                # gateway/expect.py: 100 Continue once the middlewares let the request
                # through, not now; the handler's layer sends it (or its read of the body).
                owe_continue(request)
                handler = _continuing(handler)
                continuing = True
            else:
                answer = await _expect(request, match_info, observe)
                if answer is not None:
                    return answer
        # The root is never in with_own, so one application (a root route) or two (a
        # plugin's) is one set lookup.
        if with_own and (len(apps) > 2 or id(apps[-1]) in with_own):
            below = tuple(apps[1:])
            # A 404/405 has a new handler every time: not cached. (The type itself, not
            # isinstance: match infos are ABCs, whose check runs Python code.)
            if type(match_info) is MatchInfoError:
                handler = _with_own_middlewares(handler, below)
            else:
                handler = _cached_with_own_middlewares(handler, below)
        if continuing:
            response: web.StreamResponse = await root_middleware(request, handler)
            refused_unread(request, response)
            return response
        return await root_middleware(request, handler)

    def retire(to: Handler) -> None:
        nonlocal forward
        forward = to

    return Served(dispatch, retire)


def _continuing(handler: Handler) -> Handler:
    """``handler``, with the route's answer to ``Expect: 100-continue`` first (it runs where
    the handler does: after every middleware let the request through)."""

    async def run(request: web.Request) -> web.StreamResponse:
        await before_handler(request)
        return await handler(request)

    return run


def _stacked(middlewares: Sequence[Any]) -> Any:
    """The root's middlewares as one: the only one itself, else each calling the next."""
    if len(middlewares) == 1:
        return middlewares[0]
    outer, *rest = middlewares
    inner = _stacked(rest)

    async def stacked(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await outer(request, partial(inner, handler=handler))  # type: ignore[no-any-return]

    return stacked


def _expecting_problems(handler: Handler, observe: Observe | None) -> Served:
    """``handler`` (aiohttp's own handling of the root) with its 417 to an unknown ``Expect``
    answered as problem+json, as :func:`_expect` answers it.

    An error raised out of aiohttp's handling that is not problem+json can only come from
    before the root middleware, which answers every other error: the ``Expect`` handler's.
    """
    forward: Handler | None = None

    async def handle(request: web.Request) -> web.StreamResponse:
        if forward is not None:  # retired (see Served)
            return await forward(request)
        if (refused := refused_coding(request)) is not None:
            return _refuse(request, refused, observe)
        started = time.perf_counter()
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400 or exc.content_type == PROBLEM_CONTENT_TYPE:
                raise
            return _expect_failed(request, exc, observe, started)
        refused_unread(request, response)  # a continue_when_read route's refusal
        return response

    def retire(to: Handler) -> None:
        nonlocal forward
        forward = to

    return Served(handle, retire)


async def _expect(
    request: web.Request, match_info: Any, observe: Observe | None
) -> web.StreamResponse | None:
    """aiohttp's answer to ``Expect`` (``100 Continue``, or a 417 it raises for any other
    expectation), with the 417 as problem+json like every answer after the middlewares."""
    started = time.perf_counter()
    try:
        answer = await match_info.expect_handler(request)
        await request.writer.drain()
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == PROBLEM_CONTENT_TYPE:
            raise
        return _expect_failed(request, exc, observe, started)
    return answer


def _expect_failed(
    request: web.Request, exc: web.HTTPException, observe: Observe | None, started: float
) -> web.StreamResponse:
    response = answer_error(request, exc)
    stamp(response, choose_request_id(request.headers.get(HEADER)))
    if observe is not None:
        observe(request, response.status, started)
    return response


def _refuse(
    request: web.Request, problem: ProblemError, observe: Observe | None
) -> web.StreamResponse:
    """The answer to a request refused before routing (a transfer coding the server cannot
    decode), counted for ``/metrics`` as a request the parser refused: it reached no route."""
    response = problem_response(request, problem)
    response.force_close()
    stamp(response, choose_request_id(request.headers.get(HEADER)))
    if observe is not None:
        observe_unparsed(problem.status)
    return response


def _direct_prefixes(router: web.UrlDispatcher) -> dict[str, web.Application]:
    """The mounted prefixes whose sub-application answers every path under them, whatever
    the root router's other resources: the root's walk could reach nothing else first.

    A prefix is left out (its paths routed by the root router, as aiohttp does) when another
    root resource is indexed at it or under it (a root route ``/notes/extra`` registered beside
    the ``/notes`` mount is found first by the walk), and every prefix when a sub-application
    is matched by a rule rather than a prefix (``add_domain``): those are tried first.
    """
    matched, index = dispatcher_parts(router)
    if matched:
        return {}
    direct = {}
    for resource in router.resources():
        if not isinstance(resource, PrefixedSubAppResource):
            continue
        prefix = resource.canonical
        shadowed = any(
            (key == prefix or key.startswith(prefix + "/")) and found != [resource]
            for key, found in index.items()
        )
        if not shadowed:
            direct[prefix] = resource.get_info()["app"]
    return direct


def _apps_below(app: web.Application) -> list[web.Application]:
    """Every application mounted under ``app``, at any depth."""
    found: list[web.Application] = []
    for resource in app.router.resources():
        sub = resource.get_info().get("app")  # set for add_subapp's and add_domain's resources
        if isinstance(sub, web.Application):
            found.append(sub)
            found.extend(_apps_below(sub))
    return found


def _with_own_middlewares(handler: Handler, apps: Sequence[web.Application]) -> Handler:
    """``handler`` inside the middlewares of the sub-applications ``apps`` (outermost first)
    declare, each seeing itself as ``request.app``, as aiohttp runs them."""
    for app in reversed(apps):
        if not app.middlewares:
            continue
        for middleware in reversed(app.middlewares):
            handler = partial(middleware, handler=handler)
        if len(apps) > 1:  # one app: routing made it request.app already, and nothing else can
            handler = partial(_as_current_app, app, handler)
    return handler


_cached_with_own_middlewares = lru_cache(maxsize=1024)(_with_own_middlewares)


async def _as_current_app(
    app: web.Application, handler: Handler, request: web.Request
) -> web.StreamResponse:
    match_info = request.match_info
    previous = match_info.current_app
    match_info.current_app = app
    try:
        return await handler(request)
    finally:
        match_info.current_app = previous
