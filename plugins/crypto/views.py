"""HTTP handlers: validate, ask the proxy, render the answer with its cache headers."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache

from aiohttp import hdrs, web
from multidict import CIMultiDict, CIMultiDictProxy

from gateway import ProblemError, read_body
from gateway_plugins.crypto.forward import CoinGeckoForwarder
from gateway_plugins.crypto.keys import FEED, PROXY
from gateway_plugins.crypto.proxy import Answer, CryptoProxy, negative_problem
from gateway_plugins.crypto.validation import (
    MAX_INFO_BODY,
    coin_question,
    info_question,
    markets_question,
    price_question,
)

JSON = "application/json"
Handler = Callable[[web.Request], Awaitable[web.Response]]


def price_view(proxy: CryptoProxy) -> Handler:
    """The handler of ``GET /price`` for the sub-application whose proxy is ``proxy``.

    The proxy is bound here, once: reading ``request.app[PROXY]`` is three Python calls
    (the request's app, the match's current app, the key's lookup) on every hit.
    """

    # The /simple/price family's lifetime, looked up once.
    ttl = proxy.lifetime("/simple/price")

    async def price(request: web.Request) -> web.Response:
        """``GET /price?ids=...&vs_currencies=...``: CoinGecko's /simple/price."""
        question = price_question(request.rel_url.raw_query_string)
        # One clock reading for the hit's freshness and its Age (see CryptoProxy.hit).
        now = time.time()
        answer = proxy.hit(question.key, now, ttl)
        if answer is not None:
            return render(answer, now)
        return respond(await proxy.get(question))

    return price


async def markets(request: web.Request) -> web.Response:
    """``GET /markets?vs_currency=...``: CoinGecko's /coins/markets."""
    question = markets_question(request.rel_url.raw_query_string)
    return respond(await request.app[PROXY].get(question))


async def coin(request: web.Request) -> web.Response:
    """``GET /coins/{id}``: CoinGecko's /coins/{id}."""
    question = coin_question(request.match_info["id"], request.rel_url.raw_query_string)
    return respond(await request.app[PROXY].get(question))


async def info(request: web.Request) -> web.Response:
    """``POST /info``: the tutorial's call; Bitcoin unless the body names ``{"coin": ...}``."""
    body = await read_body(request, MAX_INFO_BODY)
    # An unlabelled body is read as JSON (python-requests sends none for data=json.dumps(...));
    # one labelled as something else is refused rather than guessed at.
    labelled = request.headers.get(hdrs.CONTENT_TYPE)
    if body.strip() and labelled and not _is_json(request.content_type):
        raise ProblemError(
            415,
            f"Send the body as JSON (Content-Type: application/json), not {request.content_type}.",
            headers={"Accept-Post": JSON},
        )
    question = info_question(body)
    return respond(await request.app[PROXY].get(question))


def forwarded_view(
    proxy: CryptoProxy, forwarder: CoinGeckoForwarder, tail: str | None = None
) -> Handler:
    """The handler of every other ``GET``: CoinGecko's own v3 path, forwarded and cached;
    ``tail``, the path of a route of its own (app.py), else the route's ``tail``."""
    question_of = forwarder.question

    async def forwarded(request: web.Request) -> web.Response:
        raw_path = request.raw_path
        if "%2F" in raw_path or "%2f" in raw_path:
            # match_info is decoded: an encoded slash would become a separator CoinGecko
            # never saw. No CoinGecko path has one in a segment.
            raise ProblemError(404, "An encoded / is in no CoinGecko v3 path.")
        # Memoised on the decoded path and query: a repeated question is one dictionary lookup.
        path = tail or request.match_info["tail"]
        question, ttl = question_of(path, request.rel_url.raw_query_string)
        now = time.time()
        answer = proxy.hit(question.key, now, ttl)
        if answer is None:
            answer = await proxy.get(question)
            now = time.time()
        return render(answer, now, transparent=True)

    return forwarded


async def live(request: web.Request) -> web.StreamResponse:
    """``GET /ws``: the live price feed (see gateway_plugins.crypto.live)."""
    return await request.app[FEED].handle(request)


def _is_json(media_type: str) -> bool:
    media_type = media_type.lower()
    return media_type in (JSON, "application/octet-stream") or media_type.endswith("+json")


def respond(answer: Answer) -> web.Response:
    """The client's response for ``answer``: the stored body as is, or a problem."""
    return render(answer, time.time())


def render(answer: Answer, now: float, *, transparent: bool = False) -> web.Response:
    """:func:`respond` with the time ``now``, as read for the hit's freshness.

    ``transparent``: a remembered CoinGecko 4xx keeps CoinGecko's status and message (a
    forwarded path); the curated routes answer their documented problems.
    """
    entry = answer.entry
    if entry is None:
        assert answer.problem is not None
        raise answer.problem
    age = max(0.0, now - entry.response_time)  # since it was stored
    remaining = answer.lifetime - age
    # Whole seconds, rounded away from the boundary: fresh is >= 1, stale is <= -1.
    ttl: int | None = math.ceil(remaining) if remaining > 0 else min(math.floor(remaining), -1)
    if answer.lifetime <= 0:
        ttl = None  # a family with ttl 0: forwarded, never stored, so there is no ttl to tell
    max_age = int(answer.lifetime)
    if entry.status != 200:
        headers = _cache_headers(answer.cache_status, int(age), ttl, max_age)
        raise negative_problem(entry, headers, transparent=transparent)
    ok_headers = _ok_headers(answer.cache_status, int(age), ttl, max_age)
    return web.Response(status=entry.status, body=entry.body, headers=ok_headers)


def _cache_headers(cache_status: str, age: int, ttl: int | None, max_age: int) -> dict[str, str]:
    """RFC 9111 headers that let any cache after this one reckon freshness as this one does.

    ``max-age`` is the entry's freshness lifetime as stored, and ``Age`` the time since it
    was stored (§4.2.3): a downstream cache counts the entry fresh while Age < max-age, as
    long as here. (max-age as the freshness *left* would count the age twice: half-way
    through its life, an entry looked stale to every other cache.)
    """
    # Just stored: its ttl is the full lifetime, said by max-age.
    if ttl is not None and "stored" not in cache_status:
        cache_status = f"{cache_status}; ttl={ttl}"
    return {
        "Cache-Status": cache_status,
        "Age": str(age),
        "Cache-Control": f"max-age={max_age}",
    }


@lru_cache(maxsize=1024)
def _ok_headers(
    cache_status: str, age: int, ttl: int | None, max_age: int
) -> CIMultiDictProxy[str]:
    """The headers of a served entry, made once per (Cache-Status, Age, ttl, max-age): every
    hit in the same second of an entry's age has the same ones. Formatting them and filling a
    case-insensitive dict cost a hit more than this lookup; web.Response copies them, so the
    one returned is read-only and never changes.

    1024: one per combination served within the same second or so (entries of equal age share
    one), with room to spare.
    """
    headers = CIMultiDict(_cache_headers(cache_status, age, ttl, max_age))
    headers["Content-Type"] = JSON
    return CIMultiDictProxy(headers)
