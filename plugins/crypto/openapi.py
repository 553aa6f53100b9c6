"""The OpenAPI description of the crypto plugin, built from the models that validate requests.

Parameters come from :class:`PriceParameters`, :class:`MarketsParameters`,
:class:`CoinParameters`, the body from :class:`InfoRequest`. Response bodies are CoinGecko's
own JSON, passed through unchanged; their schemas say what the proxy checks before it stores
an answer (coingecko.is_price_table, is_coin, is_list).
"""

from __future__ import annotations

from typing import Any

from gateway import (
    RETRY_AFTER,
    model_schemas,
    openapi_problem_response as problem_response,
    query_parameters,
)
from gateway_plugins.crypto.families import NOT_COIN_IDS
from gateway_plugins.crypto.paths import SEGMENT
from gateway_plugins.crypto.validation import (
    COIN_ID_PATTERN,
    MAX_INFO_BODY,
    CoinParameters,
    InfoRequest,
    MarketsParameters,
    PriceParameters,
)

_CACHE_STATUS = {
    "description": "RFC 9211: how the cache answered (hit, fwd=miss; stored, ...).",
    "schema": {"type": "string"},
}
_CACHED_HEADERS = {
    "Cache-Status": _CACHE_STATUS,
    "Age": {"description": "Seconds since the entry was stored.", "schema": {"type": "integer"}},
    "Cache-Control": {
        "description": "max-age: seconds of freshness left.",
        "schema": {"type": "string"},
    },
}
_ERROR_HEADERS = {"Cache-Status": _CACHE_STATUS}


def _upstream_problems(*extra: int) -> dict[str, Any]:
    """What a proxied call can answer besides 200, as docs/crypto.md tabulates it."""
    responses = {
        "422": problem_response("A parameter is invalid: `errors` lists each; nothing was called."),
        "502": problem_response(
            "CoinGecko could not be reached, failed, or answered something unusable, and no "
            "stale entry was left.",
            headers=_ERROR_HEADERS,
        ),
        "503": problem_response(
            "CoinGecko's rate limit is reached (its window is open) and no stale entry is left.",
            headers={**_ERROR_HEADERS, "Retry-After": RETRY_AFTER},
        ),
        "504": problem_response("CoinGecko did not answer in time.", headers=_ERROR_HEADERS),
    }
    if 404 in extra:
        responses["404"] = problem_response(
            "CoinGecko has no such coin (remembered for not_found_ttl).", headers=_ERROR_HEADERS
        )
    return responses


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _CACHED_HEADERS,
        "content": {"application/json": {"schema": schema}},
    }


_COIN = {
    "type": "object",
    "description": "CoinGecko's /coins/{id} answer, unchanged.",
    "required": ["id"],
    "properties": {"id": {"type": "string"}, "symbol": {"type": "string"}},
}
_PRICES = {
    "type": "object",
    "description": "Per coin id, per currency: the price (and the include_* values).",
    "additionalProperties": {"type": "object", "additionalProperties": {}},
}
_MARKETS = {
    "type": "array",
    "description": "CoinGecko's /coins/markets answer, unchanged.",
    "items": {"type": "object"},
}


# CoinGecko's own paths, forwarded as they are (forward.py): the common ones, each standing for
# its family (families.py). (path, summary, required query parameters, the default ttl's
# description.) Every other family in docs/crypto.md is forwarded the same way.
FORWARDED: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("/ping", "CoinGecko's status", (), "ttl"),
    ("/simple/price", "Prices of coins in currencies", ("ids", "vs_currencies"), "ttl"),
    ("/simple/supported_vs_currencies", "The currencies prices can be asked in", (), "1 hour"),
    ("/coins/list", "Every coin's id, symbol and name", (), "1 hour"),
    ("/coins/markets", "Coins with market data", ("vs_currency",), "ttl"),
    ("/coins/{id}/market_chart", "A coin's price chart", ("vs_currency", "days"), "5 minutes"),
    ("/coins/{id}/history", "A coin's data on a day (dd-mm-yyyy)", ("date",), "1 hour"),
    ("/search", "Coins, exchanges and categories matching a query", ("query",), "5 minutes"),
    ("/search/trending", "Trending coins, NFTs and categories", (), "5 minutes"),
    ("/global", "Global market data", (), "ttl"),
    ("/exchanges", "Exchanges with their volume", (), "ttl"),
    ("/exchange_rates", "BTC exchange rates", (), "ttl"),
    ("/{tail}", "Any other CoinGecko v3 GET path of a known family", (), "its family's ttl"),
)
_ANY_JSON: dict[str, Any] = {"description": "CoinGecko's JSON answer, unchanged."}


_REJECTED = problem_response(
    "CoinGecko rejected the question (remembered for not_found_ttl): its status, and its "
    "message as `error` (CoinGecko's own member) and `upstream_error`.",
    headers=_ERROR_HEADERS,
)


def _forwarded(path: str, summary: str, required: tuple[str, ...], ttl: str) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    if "{id}" in path:
        parameters.append(
            {
                "name": "id",
                "in": "path",
                "required": True,
                "description": "A CoinGecko coin id.",
                "schema": {"type": "string", "pattern": SEGMENT.pattern},
            }
        )
    if path == "/{tail}":
        parameters.append(
            {
                "name": "tail",
                "in": "path",
                "required": True,
                "description": (
                    "CoinGecko's path below /api/v3, such as `coins/bitcoin/tickers` (its "
                    "slashes are the path's own, not encoded)."
                ),
                "schema": {"type": "string", "minLength": 1},
            }
        )
    parameters += [
        {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
        for name in required
    ]
    upstream = problem_response(
        "CoinGecko failed (or the failure is remembered, or the circuit is open) and no stale "
        "entry was left.",
        headers={**_ERROR_HEADERS, "Retry-After": RETRY_AFTER},
    )
    operation_id = "forward_" + (
        path.strip("/").replace("/", "_").replace("{id}", "coin").replace("{tail}", "any")
    )
    return {
        "get": {
            "operationId": operation_id,
            "summary": f"{summary} (CoinGecko {path}), forwarded and cached",
            "description": (
                f"CoinGecko's own `{path}`, with any of its query parameters, forwarded as "
                f"sent (a trailing slash is the same path) and cached for {ttl} by default. "
                "Any other CoinGecko v3 GET path of a known family is forwarded the same way "
                "(docs/crypto.md lists them); a path of no family is a 404."
            ),
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "CoinGecko's answer, byte for byte.",
                    "headers": _CACHED_HEADERS,
                    "content": {"application/json": {"schema": _ANY_JSON}},
                },
                "400": _REJECTED,
                "404": problem_response(
                    "CoinGecko has no such resource (remembered for not_found_ttl), or the "
                    "path is none the gateway forwards.",
                    headers=_ERROR_HEADERS,
                ),
                "422": problem_response(
                    "CoinGecko rejected a parameter (remembered for not_found_ttl), or the "
                    "query is over the gateway's limits (`errors` lists why).",
                    headers=_ERROR_HEADERS,
                ),
                "502": upstream,
                "503": upstream,
                "504": upstream,
            },
        }
    }


# CoinGecko's /simple/supported_vs_currencies. The plugin passes any currency of the right
# shape on and CoinGecko refuses one it does not know (a 422 here), so the document names the
# ones it knows: a generated currency outside them is what the gateway refuses.
SUPPORTED_CURRENCIES = (
    "btc", "eth", "ltc", "bch", "bnb", "eos", "xrp", "xlm", "link", "dot", "yfi", "sol",
    "usd", "aed", "ars", "aud", "bdt", "bhd", "bmd", "brl", "cad", "chf", "clp", "cny", "czk",
    "dkk", "eur", "gbp", "gel", "hkd", "huf", "idr", "ils", "inr", "jpy", "krw", "kwd", "lkr",
    "mmk", "mxn", "myr", "ngn", "nok", "nzd", "php", "pkr", "pln", "rub", "sar", "sek", "sgd",
    "thb", "try", "twd", "uah", "vef", "vnd", "zar", "xdr", "xag", "xau", "bits", "sats",
)  # fmt: skip
_CURRENCY_PARAMETERS = ("vs_currencies", "vs_currency")


def _currencies(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for parameter in parameters:
        if parameter["name"] in _CURRENCY_PARAMETERS:
            items = parameter["schema"].get("items", parameter["schema"])
            items["enum"] = list(SUPPORTED_CURRENCIES)
    return parameters


# RFC 6455 section 4.1: what a handshake must carry; anything less is a 426 (no Upgrade) or a
# 400 (a broken handshake), which the responses describe.
_HANDSHAKE = [
    {"name": "Upgrade", "schema": {"type": "string", "const": "websocket"}},
    {"name": "Connection", "schema": {"type": "string", "const": "Upgrade"}},
    {"name": "Sec-WebSocket-Version", "schema": {"type": "string", "const": "13"}},
    {
        "name": "Sec-WebSocket-Key",
        "description": "16 random bytes, base64.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9+/]{21}[AQgw]==$"},
    },
]  # fmt: skip


def describe() -> dict[str, Any]:
    """The crypto plugin's fragment: paths relative to its mount."""
    (info_ref,), schemas = model_schemas(InfoRequest)
    coin_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "description": (
            "A CoinGecko coin id (case is ignored). "
            + ", ".join(NOT_COIN_IDS)
            + " are CoinGecko's own paths under /coins, forwarded as such."
        ),
        "schema": {"type": "string", "pattern": COIN_ID_PATTERN},
    }
    coin_ref = {"$ref": "#/components/schemas/Coin"}
    return {
        "paths": {
            "/price": {
                "get": {
                    "operationId": "price",
                    "summary": "Prices of coins in currencies (CoinGecko /simple/price), cached",
                    "parameters": _currencies(query_parameters(PriceParameters)),
                    "responses": {
                        "200": _ok("The price table.", {"$ref": "#/components/schemas/Prices"}),
                        **_upstream_problems(),
                    },
                }
            },
            "/info": {
                "post": {
                    "operationId": "info",
                    "summary": "One coin's data: Bitcoin unless the body names another",
                    "description": (
                        "The aiohttp tutorial's call. No body, or `{}`, asks for Bitcoin; the "
                        f"body may be at most {MAX_INFO_BODY} bytes."
                    ),
                    "requestBody": {
                        "required": False,
                        "content": {"application/json": {"schema": info_ref}},
                    },
                    "responses": {
                        "200": _ok("The coin.", coin_ref),
                        "400": problem_response("The body is not JSON."),
                        "413": problem_response(f"The body is over {MAX_INFO_BODY} bytes."),
                        "415": problem_response("The body is labelled as something not JSON."),
                        **_upstream_problems(404),
                    },
                }
            },
            "/coins/{id}": {
                "get": {
                    "operationId": "coin",
                    "summary": "One coin's data (CoinGecko /coins/{id}), cached",
                    "parameters": [coin_id, *query_parameters(CoinParameters)],
                    "responses": {
                        "200": _ok("The coin.", coin_ref),
                        **_upstream_problems(404),
                    },
                }
            },
            "/markets": {
                "get": {
                    "operationId": "markets",
                    "summary": "Coins with market data (CoinGecko /coins/markets), cached",
                    "parameters": _currencies(query_parameters(MarketsParameters)),
                    "responses": {
                        "200": _ok("The page of coins.", {"$ref": "#/components/schemas/Markets"}),
                        **_upstream_problems(),
                    },
                }
            },
            "/ws": {
                "get": {
                    "operationId": "live",
                    "summary": "Live prices over WebSocket (docs/crypto.md has the messages)",
                    "description": (
                        'Upgrade to WebSocket, send `{"subscribe": ["bitcoin"], "vs": "usd"}`, '
                        "get the current prices, then a message whenever one changes."
                    ),
                    "parameters": [
                        {**header, "in": "header", "required": True} for header in _HANDSHAKE
                    ],
                    "responses": {
                        "101": {"description": "Switching to WebSocket."},
                        "400": problem_response(
                            "A broken handshake (a bad Sec-WebSocket-Key, HTTP/1.0, a version "
                            "other than 13).",
                            headers={
                                "Sec-WebSocket-Version": {
                                    "schema": {"type": "string", "const": "13"}
                                }
                            },
                        ),
                        "426": problem_response(
                            "Not a WebSocket upgrade request.",
                            headers={
                                "Upgrade": {"schema": {"type": "string", "const": "websocket"}}
                            },
                        ),
                        "503": problem_response(
                            "The gateway is shutting down.", headers={"Retry-After": RETRY_AFTER}
                        ),
                    },
                }
            },
        }
        | {
            path: _forwarded(path, summary, required, ttl)
            for path, summary, required, ttl in FORWARDED
        },
        "components": {
            "schemas": {**schemas, "Coin": _COIN, "Prices": _PRICES, "Markets": _MARKETS}
        },
    }
