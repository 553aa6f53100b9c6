"""Client input to a normalised :class:`Question`, or a 422 listing every error, before any call.

Normalising makes equal questions share one cache entry: names and values are lower-cased,
lists are de-duplicated and sorted, flags equal to CoinGecko's default are dropped and defaults
of paging are filled in. ``?vs_currencies=USD&ids=ethereum,bitcoin,bitcoin`` and
``?ids=bitcoin,ethereum&vs_currencies=usd`` are the same key.

The query parsers are memoised on the raw query string, so a repeated question (the cache-hit
path) costs one dictionary lookup here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from gateway import ProblemError
from gateway_plugins.crypto.coingecko import Shape, is_coin, is_list, is_price_table
from gateway_plugins.crypto.proxy import Question

# CoinGecko API ids: "bitcoin", "usd-coin", "wrapped-bitcoin"; a slug, never a path.
COIN_ID = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,78}[a-z0-9])?")
# vs currencies: "usd", "eur", "btc", "sats".
CURRENCY = re.compile(r"[a-z][a-z0-9]{1,9}")
CATEGORY = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?")
MAX_IDS = 50
MAX_CURRENCIES = 10
MAX_QUERY_LENGTH = 4096
MAX_QUERY_FIELDS = 32
MAX_INFO_BODY = 4096
DEFAULT_COIN = "bitcoin"
MARKET_ORDERS = (
    "market_cap_desc",
    "market_cap_asc",
    "volume_desc",
    "volume_asc",
    "id_asc",
    "id_desc",
)
PRICE_CHANGE_WINDOWS = ("1h", "24h", "7d", "14d", "30d", "200d", "1y")
PRICE_FLAGS = (
    "include_market_cap",
    "include_24hr_vol",
    "include_24hr_change",
    "include_last_updated_at",
)
# /coins/{id} flags with CoinGecko's defaults: only values that differ are sent and keyed.
COIN_FLAGS = {
    "localization": True,
    "tickers": True,
    "market_data": True,
    "community_data": True,
    "developer_data": True,
    "sparkline": False,
}
_SHOWN_VALUE = 100  # characters of a bad value echoed back in the error


@lru_cache(maxsize=4096)
def price_question(raw_query: str) -> Question:
    """``GET /price``: CoinGecko's ``/simple/price`` with its ``include_*`` flags."""
    query = _Query(raw_query, {"ids", "vs_currencies", "precision", *PRICE_FLAGS})
    ids = query.slugs("ids", COIN_ID, MAX_IDS, required=True)
    currencies = query.slugs("vs_currencies", CURRENCY, MAX_CURRENCIES, required=True)
    params = {name: "true" for name in PRICE_FLAGS if query.flag(name)}
    precision = query.precision()
    query.raise_errors()
    return _price(ids, currencies, params, precision)


def price_question_for(ids: Iterable[str], currencies: Iterable[str]) -> Question:
    """The plain price question for already-valid ids and currencies (the WebSocket feed)."""
    return _price(sorted(set(ids)), sorted(set(currencies)), {}, None)


@lru_cache(maxsize=4096)
def markets_question(raw_query: str) -> Question:
    """``GET /markets``: CoinGecko's ``/coins/markets``, paging defaults filled in."""
    names = {"vs_currency", "ids", "category", "order", "per_page", "page", "sparkline"}
    query = _Query(raw_query, names | {"price_change_percentage", "precision"})
    currency = query.slugs("vs_currency", CURRENCY, 1, required=True)
    ids = query.slugs("ids", COIN_ID, MAX_IDS, required=False)
    category = query.slugs("category", CATEGORY, 1, required=False)
    order = query.choice("order", MARKET_ORDERS) or "market_cap_desc"
    per_page = query.integer("per_page", 1, 250, default=100)
    page = query.integer("page", 1, 10000, default=1)
    sparkline = query.flag("sparkline")
    windows = query.slugs("price_change_percentage", None, len(PRICE_CHANGE_WINDOWS), False)
    for window in windows:
        if window not in PRICE_CHANGE_WINDOWS:
            query.error(
                "price_change_percentage",
                f"must be among {', '.join(PRICE_CHANGE_WINDOWS)}",
                window,
            )
    precision = query.precision()
    query.raise_errors()
    params = {"vs_currency": currency[0], "order": order, "per_page": str(per_page)}
    params["page"] = str(page)
    if ids:
        params["ids"] = ",".join(ids)
    if category:
        params["category"] = category[0]
    if sparkline:
        params["sparkline"] = "true"
    if windows:
        params["price_change_percentage"] = ",".join(windows)
    if precision is not None:
        params["precision"] = precision
    return _question("/coins/markets", params, is_list)


@lru_cache(maxsize=4096)
def coin_question(coin_id: str, raw_query: str = "") -> Question:
    """``GET /coins/{id}``: CoinGecko's ``/coins/{id}``; flags at their defaults are dropped."""
    query = _Query(raw_query, set(COIN_FLAGS))
    coin = _coin_id(coin_id, query, "id", "path")
    params = {}
    for name, default in COIN_FLAGS.items():
        value = query.flag(name)
        if value is not None and value != default:
            params[name] = "true" if value else "false"
    query.raise_errors()
    return _question(f"/coins/{coin}", params, is_coin)


def info_question(body: bytes) -> Question:
    """``POST /info``: no body (or ``{}``) asks for Bitcoin, ``{"coin": "<id>"}`` for that coin."""
    if len(body) > MAX_INFO_BODY:
        raise ProblemError(413, f"The body may be at most {MAX_INFO_BODY} bytes.")
    if not body.strip():
        return coin_question(DEFAULT_COIN)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # 400, as for every body in the gateway that is not JSON at all; 422 is for JSON that
        # does not say what it must.
        detail = f"The request body is not valid JSON (UTF-8): {exc}."
        raise ProblemError(400, detail, title="Invalid JSON") from None
    if not isinstance(data, dict):
        raise _invalid([_body_error("", 'expected a JSON object such as {"coin": "bitcoin"}')])
    errors = [
        _body_error(f"/{name}", "unknown field; only coin is read")
        for name in data
        if name != "coin"
    ]
    coin = data.get("coin", DEFAULT_COIN)
    if not isinstance(coin, str):
        errors.append(_body_error("/coin", "must be a string: a CoinGecko coin id"))
    elif not COIN_ID.fullmatch(coin.strip().lower()):
        errors.append(_body_error("/coin", _slug_message("coin id"), coin))
    if errors:
        raise _invalid(errors)
    return coin_question(coin.strip().lower())


def subscription(message: Any) -> tuple[list[str], str]:
    """A WebSocket ``{"subscribe": [ids], "vs": "usd"}`` as (sorted ids, currency)."""
    if not isinstance(message, dict):
        raise _invalid(
            [_body_error("", 'expected an object like {"subscribe": ["bitcoin"], "vs": "usd"}')]
        )
    errors = [
        _body_error(f"/{name}", "unknown field; send subscribe and vs")
        for name in message
        if name not in ("subscribe", "vs")
    ]
    raw_ids = message.get("subscribe")
    ids: set[str] = set()
    if not isinstance(raw_ids, list) or not all(isinstance(i, str) for i in raw_ids):
        errors.append(_body_error("/subscribe", "must be a list of coin id strings"))
    else:
        for raw in raw_ids:
            coin = raw.strip().lower()
            if COIN_ID.fullmatch(coin):
                ids.add(coin)
            else:
                errors.append(_body_error("/subscribe", _slug_message("coin id"), raw))
        if len(ids) > MAX_IDS:
            errors.append(_body_error("/subscribe", f"at most {MAX_IDS} coins per connection"))
    vs = message.get("vs", "usd")
    if not isinstance(vs, str) or not CURRENCY.fullmatch(vs.strip().lower()):
        errors.append(_body_error("/vs", _slug_message("currency"), vs))
        vs = ""
    if errors:
        raise _invalid(errors)
    return sorted(ids), vs.strip().lower()


def _price(
    ids: list[str], currencies: list[str], flags: dict[str, str], precision: str | None
) -> Question:
    params = {"ids": ",".join(ids), "vs_currencies": ",".join(currencies), **flags}
    if precision is not None:
        params["precision"] = precision
    return _question("/simple/price", params, is_price_table)


def _question(path: str, params: dict[str, str], shape: Shape) -> Question:
    pairs = tuple(sorted(params.items()))
    key = f"{path}?{urlencode(pairs, safe=',')}" if pairs else path
    return Question(key, path, dict(pairs), shape)


def _coin_id(raw: str, query: _Query, name: str, where: str) -> str:
    coin = raw.strip().lower()
    if not COIN_ID.fullmatch(coin):
        query.error(name, _slug_message("coin id"), raw, where=where)
    return coin


def _slug_message(what: str) -> str:
    if what == "currency":
        return "must be a currency code like usd or eur (2-10 letters and digits)"
    return "must be a CoinGecko id like bitcoin or usd-coin (lowercase letters, digits, - . _)"


def _body_error(pointer: str, detail: str, value: Any = None) -> dict[str, Any]:
    # A JSON Pointer (RFC 6901) as a URI fragment, as RFC 9457 shows it and the notes plugin
    # answers: "#" is the whole document, "#/coin" its coin member.
    error: dict[str, Any] = {"pointer": f"#{pointer}", "detail": detail}
    if value is not None:
        error["value"] = _shown(value)
    return error


def _shown(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _SHOWN_VALUE:
        return value[:_SHOWN_VALUE] + "..."
    return value if isinstance(value, str | int | float | bool) else repr(value)[:_SHOWN_VALUE]


def _invalid(errors: list[dict[str, Any]]) -> ProblemError:
    count = len(errors)
    detail = f"The request has {count} invalid value{'s' if count > 1 else ''}; see errors."
    return ProblemError(422, detail, title="Invalid request", errors=errors)


class _Query:
    """A raw query string read leniently in form and strictly in content, collecting errors."""

    def __init__(self, raw: str, allowed: set[str]) -> None:
        self.errors: list[dict[str, Any]] = []
        self.values: dict[str, list[str]] = {}
        if len(raw) > MAX_QUERY_LENGTH:
            self.error("", f"the query string is longer than {MAX_QUERY_LENGTH} characters")
            raise _invalid(self.errors)  # nothing else in it is worth reading
        try:
            pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
        except ValueError:
            self.error("", f"more than {MAX_QUERY_FIELDS} query parameters")
            raise _invalid(self.errors) from None
        for name, value in pairs:
            self.values.setdefault(name.strip().lower(), []).append(value)
        for name in self.values:
            if name not in allowed:
                known = ", ".join(sorted(allowed))
                self.error(name, f"unknown parameter; known: {known}")

    def error(self, name: str, detail: str, value: Any = None, *, where: str = "query") -> None:
        # The gateway's one shape for a bad query or path parameter (the notes plugin's too).
        error: dict[str, Any] = {"parameter": name, "detail": detail}
        if value is not None:
            error["value"] = _shown(value)
        self.errors.append(error)

    def raise_errors(self) -> None:
        if self.errors:
            raise _invalid(self.errors)

    def slugs(
        self, name: str, pattern: re.Pattern[str] | None, limit: int, required: bool
    ) -> list[str]:
        """A comma-separated list (repeating the parameter also adds to it), sorted, unique."""
        raw = self.values.get(name)
        if raw is None:
            if required:
                self.error(name, "required")
            return []
        items = {item.strip().lower() for value in raw for item in value.split(",")}
        items.discard("")
        if required and not items:
            self.error(name, "must not be empty")
        bad = [item for item in items if pattern is not None and not pattern.fullmatch(item)]
        for item in sorted(bad):
            what = "currency" if pattern is CURRENCY else "coin id"
            self.error(name, _slug_message(what), item)
        if len(items) > limit:
            self.error(name, f"at most {limit} value{'s' if limit > 1 else ''}", len(items))
        return sorted(items)

    def one(self, name: str) -> str | None:
        raw = self.values.get(name)
        if raw is None:
            return None
        if len(raw) > 1:
            self.error(name, "given more than once")
            return None
        return raw[0].strip().lower()

    def flag(self, name: str) -> bool | None:
        value = self.one(name)
        if value is None:
            return None
        if value in ("true", "false"):
            return value == "true"
        self.error(name, "must be true or false", value)
        return None

    def integer(self, name: str, low: int, high: int, *, default: int) -> int:
        value = self.one(name)
        if value is None:
            return default
        if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
            self.error(name, f"must be a whole number from {low} to {high}", value)
            return default
        return int(value)

    def choice(self, name: str, choices: Iterable[str]) -> str | None:
        value = self.one(name)
        if value is not None and value not in choices:
            self.error(name, f"must be one of {', '.join(choices)}", value)
            return None
        return value

    def precision(self) -> str | None:
        value = self.one("precision")
        if value is None:
            return None
        if value == "full":
            return value
        if value.isascii() and value.isdigit() and int(value) <= 18:
            return str(int(value))
        self.error("precision", "must be full or a whole number from 0 to 18", value)
        return None
