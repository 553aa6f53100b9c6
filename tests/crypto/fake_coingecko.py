"""A fake CoinGecko v3: a real aiohttp server with the documented shapes, counted and steerable.

Serves ``/ping``, ``/simple/price``, ``/coins/markets`` and ``/coins/{id}`` at its root (point
``base_url`` at it), answers 404 ``{"error": "coin not found"}`` for unknown coins and 400
``{"error": "invalid vs_currency"}`` for unknown currencies in ``/coins/markets`` like the real
API, and can be told to be slow, hang, fail, rate-limit or answer HTML. Every request is counted
by path and recorded with its query and headers.

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
        app.router.add_get("/ping", self._ping)
        app.router.add_get("/simple/price", self._simple_price)
        app.router.add_get("/coins/markets", self._markets)  # before /coins/{id}
        app.router.add_get("/coins/{id}", self._coin)
        app.router.add_get("/_fake/mode", self._set_mode)
        app.router.add_get("/_fake/calls", self._report)
        return app

    @web.middleware
    async def _misbehave(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_fake"):
            return await handler(request)
        self.calls[request.path] += 1
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
