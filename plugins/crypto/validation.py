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
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, get_origin
from urllib.parse import parse_qsl, urlencode

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from gateway import ProblemError
from gateway_plugins.crypto.coingecko import Shape, is_coin, is_list, is_price_table
from gateway_plugins.crypto.proxy import Question

# CoinGecko API ids: "bitcoin", "usd-coin", "wrapped-bitcoin"; a slug, never a path.
# Anchored: JSON Schema (and pydantic) patterns search, they do not match the whole value.
COIN_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,78}[a-z0-9])?$"
COIN_ID = re.compile(COIN_ID_PATTERN)
# vs currencies: "usd", "eur", "btc", "sats".
CURRENCY_PATTERN = r"^[a-z][a-z0-9]{1,9}$"
CURRENCY = re.compile(CURRENCY_PATTERN)
CATEGORY_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$"
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
Model = TypeVar("Model", bound=BaseModel)


# --- the parameters of each endpoint: what validates them and what /openapi.json describes ---


def _digits(value: Any) -> Any:
    # Query values are text: only plain ASCII digits are a number here (no "+5", "5.0", "²").
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise ValueError("not a whole number")
    return value


def _flag(value: Any) -> Any:
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("not true or false")
    return value


def _normalised(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _precision(value: Any) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        return str(int(value))  # "04" is 4
    return value


CoinId = Annotated[str, Field(pattern=COIN_ID_PATTERN)]
Currency = Annotated[str, Field(pattern=CURRENCY_PATTERN)]
Category = Annotated[str, Field(pattern=CATEGORY_PATTERN)]
Flag = Annotated[bool, BeforeValidator(_flag)]
if TYPE_CHECKING:  # a Literal of values made at run time, which mypy cannot read
    Precision = str | None
else:
    Precision = Annotated[
        Literal["full", *(str(digits) for digits in range(19))],
        BeforeValidator(_precision),
        Field(description="Decimal places of prices: full, or 0 to 18."),
    ]


def _whole(low: int, high: int) -> Any:
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_digits)]


class PriceParameters(BaseModel):
    """``GET /price``: CoinGecko's /simple/price."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[CoinId], Field(min_length=1, max_length=MAX_IDS)]
    vs_currencies: Annotated[list[Currency], Field(min_length=1, max_length=MAX_CURRENCIES)]
    include_market_cap: Flag = False
    include_24hr_vol: Flag = False
    include_24hr_change: Flag = False
    include_last_updated_at: Flag = False
    precision: Precision = None


class MarketsParameters(BaseModel):
    """``GET /markets``: CoinGecko's /coins/markets."""

    model_config = ConfigDict(extra="forbid")

    vs_currency: Annotated[list[Currency], Field(min_length=1, max_length=1)]
    ids: Annotated[list[CoinId], Field(max_length=MAX_IDS)] = []
    category: Annotated[list[Category], Field(max_length=1)] = []
    order: Literal[MARKET_ORDERS] = "market_cap_desc"  # type: ignore[valid-type]
    per_page: _whole(1, 250) = 100  # type: ignore[valid-type]
    page: _whole(1, 10000) = 1  # type: ignore[valid-type]
    sparkline: Flag = False
    price_change_percentage: Annotated[
        list[Literal[PRICE_CHANGE_WINDOWS]],  # type: ignore[valid-type]
        Field(max_length=len(PRICE_CHANGE_WINDOWS)),
    ] = []
    precision: Precision = None


class CoinParameters(BaseModel):
    """``GET /coins/{id}``: CoinGecko's /coins/{id}; a flag at its default is not sent."""

    model_config = ConfigDict(extra="forbid")

    localization: Flag = True
    tickers: Flag = True
    market_data: Flag = True
    community_data: Flag = True
    developer_data: Flag = True
    sparkline: Flag = False


class InfoRequest(BaseModel):
    """``POST /info``'s body: which coin (Bitcoin when the body is empty or ``{}``)."""

    model_config = ConfigDict(extra="forbid")

    coin: Annotated[
        str,
        Field(strict=True, pattern=COIN_ID_PATTERN, description="A CoinGecko coin id."),
        BeforeValidator(_normalised),
    ] = DEFAULT_COIN


# Each parameter's message when its value is wrong; the rest come from _error_detail.
_MESSAGES = {
    "ids": "coin id",
    "category": "coin id",
    "vs_currencies": "currency",
    "vs_currency": "currency",
    "per_page": "must be a whole number from 1 to 250",
    "page": "must be a whole number from 1 to 10000",
    "order": f"must be one of {', '.join(MARKET_ORDERS)}",
    "price_change_percentage": f"must be among {', '.join(PRICE_CHANGE_WINDOWS)}",
    "precision": "must be full or a whole number from 0 to 18",
}


@lru_cache(maxsize=4096)
def price_question(raw_query: str) -> Question:
    """``GET /price``: CoinGecko's ``/simple/price`` with its ``include_*`` flags."""
    query = _parameters(raw_query, PriceParameters)
    params = {name: "true" for name in PRICE_FLAGS if getattr(query, name)}
    return _price(query.ids, query.vs_currencies, params, query.precision)


def price_question_for(ids: Iterable[str], currencies: Iterable[str]) -> Question:
    """The plain price question for already-valid ids and currencies (the WebSocket feed)."""
    return _price(sorted(set(ids)), sorted(set(currencies)), {}, None)


@lru_cache(maxsize=4096)
def markets_question(raw_query: str) -> Question:
    """``GET /markets``: CoinGecko's ``/coins/markets``, paging defaults filled in."""
    query = _parameters(raw_query, MarketsParameters)
    params = {
        "vs_currency": query.vs_currency[0],
        "order": query.order,
        "per_page": str(query.per_page),
        "page": str(query.page),
    }
    if query.ids:
        params["ids"] = ",".join(query.ids)
    if query.category:
        params["category"] = query.category[0]
    if query.sparkline:
        params["sparkline"] = "true"
    if query.price_change_percentage:
        params["price_change_percentage"] = ",".join(query.price_change_percentage)
    if query.precision is not None:
        params["precision"] = query.precision
    return _question("/coins/markets", params, is_list)


@lru_cache(maxsize=4096)
def coin_question(coin_id: str, raw_query: str = "") -> Question:
    """``GET /coins/{id}``: CoinGecko's ``/coins/{id}``; flags at their defaults are dropped."""
    coin = coin_id.strip().lower()
    bad_id = [] if COIN_ID.fullmatch(coin) else [_parameter_error("id", "coin id", coin_id)]
    try:
        query = _parameters(raw_query, CoinParameters)
    except ProblemError as exc:
        raise _invalid(bad_id + exc.extra["errors"]) from None
    if bad_id:
        raise _invalid(bad_id)
    params = {}
    for name, default in COIN_FLAGS.items():
        value = getattr(query, name)
        if value != default:
            params[name] = "true" if value else "false"
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
        raise ProblemError(400, detail) from None
    if not isinstance(data, dict):
        raise _invalid([_body_error("", 'expected a JSON object such as {"coin": "bitcoin"}')])
    try:
        request = InfoRequest.model_validate(data)
    except ValidationError as exc:
        errors = []
        for item in exc.errors():
            name = str(item["loc"][0])
            if item["type"] == "extra_forbidden":
                errors.append(_body_error(f"/{name}", "unknown field; only coin is read"))
            elif item["type"] == "string_pattern_mismatch":
                errors.append(_body_error("/coin", _slug_message("coin id"), data["coin"]))
            else:
                errors.append(_body_error("/coin", "must be a string: a CoinGecko coin id"))
        raise _invalid(errors) from None
    return coin_question(request.coin)


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
    return ProblemError(422, detail, errors=errors)


def _parameters(raw: str, model: type[Model]) -> Model:
    """``raw`` read leniently in form and validated by ``model``, or a 422 listing every error.

    Names and values are lower-cased and stripped; a list parameter (a ``list`` field) is
    comma-separated and may repeat, and is de-duplicated and sorted; any other may not repeat.
    """
    if len(raw) > MAX_QUERY_LENGTH:
        detail = f"the query string is longer than {MAX_QUERY_LENGTH} characters"
        raise _invalid([{"parameter": "", "detail": detail}])  # nothing in it is worth reading
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        detail = f"more than {MAX_QUERY_FIELDS} query parameters"
        raise _invalid([{"parameter": "", "detail": detail}]) from None
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name.strip().lower(), []).append(value)
    errors: list[dict[str, Any]] = []
    data: dict[str, Any] = {}
    for name, given in values.items():
        field = model.model_fields.get(name)
        if field is not None and get_origin(field.annotation) is list:
            items = {item.strip().lower() for value in given for item in value.split(",")}
            data[name] = sorted(items - {""})
        elif field is not None and len(given) > 1:
            errors.append({"parameter": name, "detail": "given more than once"})
        else:
            data[name] = given[0].strip().lower()
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        unknown, wrong = [], []
        for item in exc.errors():
            if item["type"] == "extra_forbidden":
                known = ", ".join(sorted(model.model_fields))
                unknown.append(
                    {"parameter": item["loc"][0], "detail": f"unknown parameter; known: {known}"}
                )
            else:
                wrong.append(_query_error(item))
        raise _invalid(unknown + errors + wrong) from None
    if errors:
        raise _invalid(errors)
    return parsed


def _query_error(item: Any) -> dict[str, Any]:
    name, kind, value = str(item["loc"][0]), item["type"], item.get("input")
    ctx = item.get("ctx") or {}
    if kind == "missing":
        return {"parameter": name, "detail": "required"}
    if kind == "too_short":
        return {"parameter": name, "detail": "must not be empty"}
    if kind == "too_long":
        limit = ctx.get("max_length")
        detail = f"at most {limit} value{'s' if limit != 1 else ''}"
        return _parameter_error(name, detail, len(value))
    message = _MESSAGES.get(name, "must be true or false")
    return _parameter_error(name, message, value)


def _parameter_error(name: str, message: str, value: Any = None) -> dict[str, Any]:
    # The gateway's one shape for a bad query or path parameter (the notes plugin's too).
    detail = _slug_message(message) if message in ("coin id", "currency") else message
    error: dict[str, Any] = {"parameter": name, "detail": detail}
    if value is not None:
        error["value"] = _shown(value)
    return error
