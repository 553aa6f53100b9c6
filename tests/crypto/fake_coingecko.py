"""A fake CoinGecko v3: a real aiohttp server with the documented shapes, counted and steerable.

Serves at its root (point ``base_url`` at it) ``/ping``, ``/simple/price``, ``/coins/markets``
and ``/coins/{id}`` with CoinGecko's documented behaviour, and every other v3 GET path that
pycoingecko calls and CoinGecko still serves (:data:`EXTRA_ROUTES`: lists, charts, search,
global, exchanges, NFTs...) with small answers of the documented shape, each with or without a
trailing slash as CoinGecko accepts them. It answers 404 ``{"error": "coin not found"}`` for
unknown coins and 400 ``{"error": "invalid vs_currency"}`` for unknown currencies in
``/coins/markets`` like the real API, and can be told to be slow, hang, fail, rate-limit or
answer HTML. Every request is counted by path and by route (``routes``), and recorded with its
query and headers.

In tests: ``fake = FakeCoinGecko(); server = await aiohttp_server(fake.app())``. By hand::

    python -m tests.crypto.fake_coingecko --port 9999
    curl 'http://127.0.0.1:9999/_fake/mode?mode=rate_limit&retry_after=30'   # steer it
    curl 'http://127.0.0.1:9999/_fake/calls'                                  # what it saw
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

RATE_LIMIT_BODY = {
    "status": {
        "error_code": 429,
        "error_message": "You've exceeded the Rate Limit. Please visit "
        "https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher "
        "rate limits.",
    }
}
HTML_BODY = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    "<body>Checking your browser before accessing api.coingecko.com.</body></html>"
)
MODES = ("ok", "slow", "hang", "fail", "rate_limit", "html", "wrong_shape")
# Longest a "hang" lasts, so a test server can always shut down.
HANG_LIMIT = 30.0

COINS = {
    "bitcoin": ("btc", "Bitcoin", {"usd": 67187.33, "eur": 61950.12, "btc": 1.0}),
    "ethereum": ("eth", "Ethereum", {"usd": 3456.78, "eur": 3187.5, "btc": 0.05145}),
    "tether": ("usdt", "Tether", {"usd": 1.0, "eur": 0.922, "btc": 0.0000149}),
    "usd-coin": ("usdc", "USDC", {"usd": 0.9998, "eur": 0.9219, "btc": 0.0000148}),
}


@dataclass
class SeenRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeCoinGecko:
    """The fake's state: what it answers, how it misbehaves, and what it has seen."""

    mode: str = "ok"
    delay: float = 0.0  # seconds, in "slow" mode
    fail_status: int = 500  # in "fail" mode
    retry_after: str | None = None  # Retry-After of a 429; None sends none
    prices: dict[str, dict[str, float]] = field(
        default_factory=lambda: {coin: dict(quotes) for coin, (_, _, quotes) in COINS.items()}
    )
    url: str = ""  # where it listens, set by whoever starts it
    server: Any = None  # the aiohttp TestServer serving it, in tests
    calls: Counter[str] = field(default_factory=Counter)
    # By route pattern without its trailing slash ("/coins/{id}/tickers"): what was exercised.
    routes: Counter[str] = field(default_factory=Counter)
    seen: list[SeenRequest] = field(default_factory=list)
    _released: asyncio.Event | None = None

    # -- steering --------------------------------------------------------------------------

    def ok(self) -> None:
        self.mode = "ok"

    def slow(self, seconds: float) -> None:
        self.mode, self.delay = "slow", seconds

    def hang(self) -> None:
        self.mode = "hang"

    def fail(self, status: int = 500) -> None:
        self.mode, self.fail_status = "fail", status

    def rate_limit(self, retry_after: str | None = None) -> None:
        self.mode, self.retry_after = "rate_limit", retry_after

    def html(self) -> None:
        self.mode = "html"

    def wrong_shape(self) -> None:
        """Valid JSON, but not what the endpoint documents (a list where an object belongs)."""
        self.mode = "wrong_shape"

    def release(self) -> None:
        """End every hanging request (call before the server closes)."""
        self.mode = "ok"
        if self._released is not None:
            self._released.set()

    def set_price(self, coin: str, vs: str, value: float) -> None:
        self.prices.setdefault(coin, {})[vs] = value

    # -- observing -------------------------------------------------------------------------

    @property
    def total_calls(self) -> int:
        return sum(count for path, count in self.calls.items() if not path.startswith("/_fake"))

    def headers_of_last(self) -> dict[str, str]:
        return self.seen[-1].headers

    # -- the server ------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._misbehave])
        for path, handler in self.api_routes().items():
            # CoinGecko answers both /coins/bitcoin and /coins/bitcoin/ (pycoingecko sends it).
            app.router.add_get(path, handler)
            app.router.add_get(path + "/", handler)
        app.router.add_get("/_fake/mode", self._set_mode)
        app.router.add_get("/_fake/calls", self._report)
        return app

    def api_routes(self) -> dict[str, Any]:
        """Every v3 path this fake implements, in matching order, with its handler."""
        routes: dict[str, Any] = {
            "/ping": self._ping,
            "/simple/price": self._simple_price,
            "/coins/markets": self._markets,  # before /coins/{id}
        }
        for path, answer in EXTRA_ROUTES.items():
            routes[path] = self._canned(answer)
        routes["/coins/{id}"] = self._coin
        return routes

    @web.middleware
    async def _misbehave(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_fake"):
            return await handler(request)
        self.calls[request.path] += 1
        route = request.match_info.route.resource
        if route is not None:
            self.routes[route.canonical.removesuffix("/") or "/"] += 1
        self.seen.append(SeenRequest(request.path, dict(request.query), dict(request.headers)))
        mode = self.mode
        if mode == "slow":
            await asyncio.sleep(self.delay)
        elif mode == "hang":
            if self._released is None or self._released.is_set():
                self._released = asyncio.Event()
            try:
                async with asyncio.timeout(HANG_LIMIT):
                    await self._released.wait()
            except TimeoutError:
                pass
            raise web.HTTPServiceUnavailable
        elif mode == "fail":
            body = {"status": {"error_code": self.fail_status, "error_message": "upstream broke"}}
            return web.json_response(body, status=self.fail_status)
        elif mode == "rate_limit":
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return web.json_response(RATE_LIMIT_BODY, status=429, headers=headers)
        elif mode == "html":
            return web.Response(text=HTML_BODY, content_type="text/html")
        elif mode == "wrong_shape":
            return web.json_response(["not", "the", "documented", "shape"])
        return await handler(request)

    async def _ping(self, request: web.Request) -> web.Response:
        return web.json_response({"gecko_says": "(V3) To the Moon!"})

    async def _simple_price(self, request: web.Request) -> web.Response:
        ids = _csv(request.query.get("ids"))
        currencies = _csv(request.query.get("vs_currencies"))
        if not ids or not currencies:
            missing = {"error": "Missing parameter ids or vs_currencies"}
            return web.json_response(missing, status=400)
        flag = {name: request.query.get(name) == "true" for name in request.query}
        table: dict[str, dict[str, float]] = {}
        for coin in ids:
            quotes = self.prices.get(coin)
            if quotes is None:
                continue  # the real API leaves unknown ids out
            row: dict[str, float] = {}
            for vs in currencies:
                if vs not in quotes:
                    continue
                row[vs] = quotes[vs]
                if flag.get("include_market_cap"):
                    row[f"{vs}_market_cap"] = quotes[vs] * 19_700_000
                if flag.get("include_24hr_vol"):
                    row[f"{vs}_24h_vol"] = quotes[vs] * 410_000
                if flag.get("include_24hr_change"):
                    row[f"{vs}_24h_change"] = 1.2345
            if flag.get("include_last_updated_at"):
                row["last_updated_at"] = 1_717_000_000
            table[coin] = row
        return web.json_response(table)

    def _canned(self, answer: Any) -> Any:
        """A handler answering the documented shape: ``answer(fake, request)`` or a constant;
        a coin id in the path that the fake does not know is CoinGecko's 404."""

        async def handler(request: web.Request) -> web.Response:
            coin = request.match_info.get("id")
            coin_path = request.path.startswith("/coins/")
            if coin_path and coin is not None and coin not in self.prices:
                return web.json_response({"error": "coin not found"}, status=404)
            body = answer(self, request) if callable(answer) else answer
            if isinstance(body, web.Response):
                return body
            return web.json_response(body)

        return handler

    async def _coin(self, request: web.Request) -> web.Response:
        coin = request.match_info["id"]
        if coin not in self.prices:
            return web.json_response({"error": "coin not found"}, status=404)
        return web.json_response(self._coin_document(coin))

    async def _markets(self, request: web.Request) -> web.Response:
        vs = request.query.get("vs_currency")
        if not vs:
            return web.json_response({"error": "Missing parameter vs_currency"}, status=400)
        if not any(vs in quotes for quotes in self.prices.values()):
            return web.json_response({"error": "invalid vs_currency"}, status=400)
        ids = _csv(request.query.get("ids")) or list(self.prices)
        per_page = int(request.query.get("per_page", "100"))
        page = int(request.query.get("page", "1"))
        rows = []
        for rank, coin in enumerate(sorted(ids), start=1):
            if coin not in self.prices or vs not in self.prices[coin]:
                continue
            symbol, name, _ = COINS.get(coin, (coin[:4], coin.title(), {}))
            price = self.prices[coin][vs]
            rows.append(
                {
                    "id": coin,
                    "symbol": symbol,
                    "name": name,
                    "current_price": price,
                    "market_cap": price * 19_700_000,
                    "market_cap_rank": rank,
                    "total_volume": price * 410_000,
                    "price_change_percentage_24h": 1.2345,
                    "last_updated": "2024-05-29T12:00:00.000Z",
                }
            )
        start = (page - 1) * per_page
        return web.json_response(rows[start : start + per_page])

    def _coin_document(self, coin: str) -> dict[str, Any]:
        symbol, name, _ = COINS.get(coin, (coin[:4], coin.title(), {}))
        quotes = self.prices[coin]
        return {
            "id": coin,
            "symbol": symbol,
            "name": name,
            "hashing_algorithm": "SHA-256" if coin == "bitcoin" else None,
            "categories": ["Cryptocurrency"],
            "description": {"en": f"{name} is a cryptocurrency."},
            "links": {"homepage": [f"https://{coin}.example"]},
            "market_cap_rank": 1,
            "market_data": {
                "current_price": dict(quotes),
                "market_cap": {vs: price * 19_700_000 for vs, price in quotes.items()},
            },
            "last_updated": "2024-05-29T12:00:00.000Z",
        }

    async def _set_mode(self, request: web.Request) -> web.Response:
        mode = request.query.get("mode", "ok")
        if mode not in MODES:
            return web.json_response({"error": f"mode must be one of {MODES}"}, status=400)
        self.mode = mode
        self.delay = float(request.query.get("delay", self.delay))
        self.fail_status = int(request.query.get("status", self.fail_status))
        self.retry_after = request.query.get("retry_after")
        if mode == "ok" and self._released is not None:
            self._released.set()
        return web.json_response({"mode": self.mode})

    async def _report(self, request: web.Request) -> web.Response:
        return web.json_response({"total": self.total_calls, "calls": dict(self.calls)})


# Three points of a chart: [milliseconds since the epoch, value].
_CHART_TIMES = (1_717_000_000_000, 1_717_000_300_000, 1_717_000_600_000)


def _chart(values: tuple[float, ...]) -> list[list[float]]:
    return [[t, v] for t, v in zip(_CHART_TIMES, values, strict=True)]


def _needs(request: web.Request, *names: str) -> web.Response | None:
    """CoinGecko's 400 when a required parameter is missing, else None."""
    missing = [name for name in names if not request.query.get(name)]
    if missing:
        return web.json_response({"error": f"Missing parameter {missing[0]}"}, status=400)
    return None


def _market_chart(fake: FakeCoinGecko, request: web.Request) -> Any:
    refused = _needs(request, "vs_currency")
    if refused is not None:
        return refused
    coin = request.match_info.get("id", "bitcoin")
    price = fake.prices.get(coin, {}).get(request.query["vs_currency"], 1.0)
    return {
        "prices": _chart((price, price * 1.01, price * 0.99)),
        "market_caps": _chart((price * 19e6, price * 19.1e6, price * 18.9e6)),
        "total_volumes": _chart((price * 4e5, price * 4.1e5, price * 3.9e5)),
    }


def _ohlc(fake: FakeCoinGecko, request: web.Request) -> Any:
    refused = _needs(request, "vs_currency")
    if refused is not None:
        return refused
    price = fake.prices[request.match_info["id"]].get(request.query["vs_currency"], 1.0)
    return [[t, price, price * 1.02, price * 0.98, price * 1.01] for t in _CHART_TIMES]


def _history(fake: FakeCoinGecko, request: web.Request) -> Any:
    refused = _needs(request, "date")
    if refused is not None:
        return refused
    coin = request.match_info["id"]
    symbol, name, _ = COINS.get(coin, (coin[:4], coin.title(), {}))
    quotes = fake.prices[coin]
    return {"id": coin, "symbol": symbol, "name": name, "market_data": {"current_price": quotes}}


def _token_price(fake: FakeCoinGecko, request: web.Request) -> Any:
    refused = _needs(request, "contract_addresses", "vs_currencies")
    if refused is not None:
        return refused
    currencies = _csv(request.query["vs_currencies"])
    return {
        address.lower(): {vs: 1.0 for vs in currencies}
        for address in _csv(request.query["contract_addresses"])
    }


def _coins_list(fake: FakeCoinGecko, request: web.Request) -> Any:
    rows: list[dict[str, Any]] = []
    for coin in sorted(fake.prices):
        symbol, name, _ = COINS.get(coin, (coin[:4], coin.title(), {}))
        row: dict[str, Any] = {"id": coin, "symbol": symbol, "name": name}
        if request.query.get("include_platform") == "true":
            row["platforms"] = {}
        rows.append(row)
    return rows


def _search(fake: FakeCoinGecko, request: web.Request) -> Any:
    refused = _needs(request, "query")
    if refused is not None:
        return refused
    query = request.query["query"].lower()
    coins = [
        {"id": coin, "name": name, "symbol": symbol.upper(), "market_cap_rank": rank}
        for rank, (coin, (symbol, name, _)) in enumerate(COINS.items(), start=1)
        if query in coin or query in name.lower() or query == symbol
    ]
    return {"coins": coins, "exchanges": [], "icos": [], "categories": [], "nfts": []}


def _coin_document(fake: FakeCoinGecko, request: web.Request) -> Any:
    return fake._coin_document(request.match_info["id"])


def _exchange(fake: FakeCoinGecko, request: web.Request) -> Any:
    if request.match_info["id"] not in EXCHANGES:
        return web.json_response({"error": "exchange not found"}, status=404)
    return {"name": EXCHANGES[request.match_info["id"]], "year_established": 2017, "tickers": []}


def _volume_chart(fake: FakeCoinGecko, request: web.Request) -> Any:
    return [[t, "1234.5"] for t in _CHART_TIMES]


def _tickers(fake: FakeCoinGecko, request: web.Request) -> Any:
    return {"name": request.match_info["id"].title(), "tickers": []}


EXCHANGES = {"binance": "Binance", "gdax": "Coinbase Exchange"}
_NFT = {"id": "pudgy-penguins", "name": "Pudgy Penguins", "asset_platform_id": "ethereum"}
_NFT_CHART = {"floor_price_usd": _chart((1.0, 2.0, 3.0)), "market_cap_usd": _chart((1, 2, 3))}
_CHART_ONLY = {"circulating_supply": [[t, "19700000.0"] for t in _CHART_TIMES]}
_TOTAL_ONLY = {"total_supply": [[t, "21000000.0"] for t in _CHART_TIMES]}
_GLOBAL = {
    "data": {
        "active_cryptocurrencies": 4,
        "markets": 2,
        "total_market_cap": {"usd": 2.6e12},
        "market_cap_percentage": {"btc": 51.2},
    }
}

# The rest of CoinGecko v3's GET paths that pycoingecko calls: an answer of the documented
# shape (a constant, or made from the request). Paths CoinGecko has retired (/events,
# /finance_*, /status_updates, /coins/{id}/status_updates, /coins) and /key (the account's
# own usage) are not here.
EXTRA_ROUTES: dict[str, Any] = {
    "/simple/token_price/{id}": _token_price,
    "/simple/supported_vs_currencies": ["btc", "eth", "usd", "eur"],
    "/coins/list": _coins_list,
    "/coins/list/new": [{"id": "new-coin", "symbol": "new", "name": "New", "activated_at": 1}],
    "/coins/top_gainers_losers": {"top_gainers": [], "top_losers": []},
    "/coins/categories/list": [{"category_id": "layer-1", "name": "Layer 1 (L1)"}],
    "/coins/categories": [{"id": "layer-1", "name": "Layer 1 (L1)", "market_cap": 2.1e12}],
    "/coins/{id}/tickers": _tickers,
    "/coins/{id}/history": _history,
    "/coins/{id}/market_chart": _market_chart,
    "/coins/{id}/market_chart/range": _market_chart,
    "/coins/{id}/ohlc": _ohlc,
    "/coins/{id}/ohlc/range": _ohlc,
    "/coins/{id}/circulating_supply_chart": _CHART_ONLY,
    "/coins/{id}/circulating_supply_chart/range": _CHART_ONLY,
    "/coins/{id}/total_supply_chart": _TOTAL_ONLY,
    "/coins/{id}/total_supply_chart/range": _TOTAL_ONLY,
    "/coins/{id}/contract/{address}": _coin_document,
    "/coins/{id}/contract/{address}/market_chart": _market_chart,
    "/coins/{id}/contract/{address}/market_chart/range": _market_chart,
    "/asset_platforms": [{"id": "ethereum", "chain_identifier": 1, "name": "Ethereum"}],
    "/token_lists/{platform}/all.json": {"name": "CoinGecko", "tokens": []},
    "/exchanges": [{"id": key, "name": name} for key, name in EXCHANGES.items()],
    "/exchanges/list": [{"id": key, "name": name} for key, name in EXCHANGES.items()],
    "/exchanges/{id}": _exchange,
    "/exchanges/{id}/tickers": _tickers,
    "/exchanges/{id}/volume_chart": _volume_chart,
    "/exchanges/{id}/volume_chart/range": _volume_chart,
    "/derivatives": [{"market": "Binance (Futures)", "symbol": "BTCUSDT", "index_id": "BTC"}],
    "/derivatives/exchanges": [{"id": "binance_futures", "name": "Binance (Futures)"}],
    "/derivatives/exchanges/list": [{"id": "binance_futures", "name": "Binance (Futures)"}],
    "/derivatives/exchanges/{id}": {"name": "Binance (Futures)", "open_interest_btc": 1.0},
    "/indexes": [{"name": "Bitcoin", "id": "BTC", "market": "CME"}],
    "/indexes/list": [{"id": "BTC", "name": "Bitcoin"}],
    "/indexes/{market}/{id}": {
        "name": "Bitcoin",
        "last": 67187.33,
        "is_multi_asset_composite": False,
    },
    "/nfts/list": [{"id": _NFT["id"], "name": _NFT["name"]}],
    "/nfts/markets": [_NFT],
    "/nfts/{id}": _NFT,
    "/nfts/{id}/market_chart": _NFT_CHART,
    "/nfts/{id}/tickers": {"tickers": []},
    "/nfts/{id}/contract/{address}": _NFT,
    "/nfts/{id}/contract/{address}/market_chart": _NFT_CHART,
    "/search": _search,
    "/search/trending": {"coins": [{"item": {"id": "bitcoin"}}], "nfts": [], "categories": []},
    "/global": _GLOBAL,
    "/global/decentralized_finance_defi": {"data": {"defi_market_cap": "9.1e10"}},
    "/global/market_cap_chart": {"market_cap_chart": {"market_cap": _chart((1.0, 2.0, 3.0))}},
    "/exchange_rates": {"rates": {"btc": {"name": "Bitcoin", "unit": "BTC", "value": 1.0}}},
    "/companies/public_treasury/{coin}": {"total_holdings": 1.0, "companies": []},
}


def _csv(value: str | None) -> list[str]:
    return [item for item in (value or "").split(",") if item]


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake CoinGecko v3 API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9999)
    args = parser.parse_args()
    web.run_app(FakeCoinGecko().app(), host=args.host, port=args.port, access_log=None)


if __name__ == "__main__":
    main()
