"""HTTP handlers: validate, ask the proxy, render the answer with its cache headers."""

from __future__ import annotations

import math
import time

from aiohttp import hdrs, web

from gateway import ProblemError, read_body
from gateway_plugins.crypto.keys import FEED, PROXY
from gateway_plugins.crypto.proxy import Answer, negative_problem
from gateway_plugins.crypto.validation import (
    MAX_INFO_BODY,
    coin_question,
    info_question,
    markets_question,
    price_question,
)

JSON = "application/json"


async def price(request: web.Request) -> web.Response:
    """``GET /price?ids=...&vs_currencies=...``: CoinGecko's /simple/price."""
    question = price_question(request.rel_url.raw_query_string)
    return respond(await request.app[PROXY].get(question))


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


async def live(request: web.Request) -> web.StreamResponse:
    """``GET /ws``: the live price feed (see gateway_plugins.crypto.live)."""
    return await request.app[FEED].handle(request)


def _is_json(media_type: str) -> bool:
    media_type = media_type.lower()
    return media_type in (JSON, "application/octet-stream") or media_type.endswith("+json")


def respond(answer: Answer) -> web.Response:
    """The client's response for ``answer``: the stored body as is, or a problem."""
    entry = answer.entry
    if entry is None:
        assert answer.problem is not None
        raise answer.problem
    age = max(0.0, time.time() - entry.stored_at)
    remaining = answer.lifetime - age
    # Whole seconds, rounded away from the boundary: fresh is >= 1, stale is <= -1.
    ttl = math.ceil(remaining) if remaining > 0 else min(math.floor(remaining), -1)
    cache_status = answer.cache_status
    if "stored" not in cache_status:  # just stored: its ttl is the full lifetime, said by max-age
        cache_status = f"{cache_status}; ttl={ttl}"
    headers = {
        "Cache-Status": cache_status,
        "Age": str(int(age)),
        "Cache-Control": f"max-age={max(ttl, 0)}",
    }
    if entry.status != 200:
        raise negative_problem(entry, headers)
    headers["Content-Type"] = JSON
    return web.Response(body=entry.body, headers=headers)
