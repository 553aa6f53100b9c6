"""Live prices over WebSocket: one refresher for every subscriber, through the cached path.

A client sends ``{"subscribe": ["bitcoin", "ethereum"], "vs": "usd"}`` and gets an ack, the
current prices at once, then a message whenever one of those prices changes. One task refreshes
the union of every connection's coins and currencies every ``ws_refresh`` seconds with
``/simple/price`` through :class:`CryptoProxy` (so through the cache, its coalescing and its
rate-limit window): a thousand subscribers to Bitcoin cost the upstream what one does. The
message shapes are documented in docs/crypto.md.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from gateway import ProblemError
from gateway.request_id import copy_request_id
from gateway_plugins.crypto.proxy import Answer, CryptoProxy
from gateway_plugins.crypto.validation import (
    MAX_CURRENCIES,
    MAX_IDS,
    price_question_for,
    subscription,
)

log = logging.getLogger("gateway_plugins.crypto.live")

HEARTBEAT = 30.0  # seconds between pings, so dead peers are noticed and dropped
CLOSE_TIMEOUT = 5.0  # seconds to wait for a peer's close frame
SEND_TIMEOUT = 5.0  # a peer that cannot take one message in this long misses it
MAX_MESSAGE = 64 * 1024
# A subscriber whose unsent messages pass this many bytes does not read: it is dropped, so a
# socket that never reads cannot make the process hold its messages forever.
MAX_SEND_BUFFER = 1024 * 1024
# An error reply lists this many problems at most (and counts the rest), so a 64 KiB message
# of bad ids is not answered with a megabyte.
MAX_LISTED_ERRORS = 10
# Coins one process follows at once (across every subscriber), and currencies: subscribing
# past them is refused, so junk subscriptions cannot make each refresh ask for thousands.
MAX_FOLLOWED_COINS = 500
MAX_FOLLOWED_CURRENCIES = 10
# An id CoinGecko did not know is refused without asking again for this long.
UNKNOWN_FOR = 600.0

Pair = tuple[str, str]  # (coin id, vs currency)


@dataclass(eq=False)
class Subscriber:
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None = None
    ids: tuple[str, ...] = ()
    vs: str = ""
    # Set until this subscriber has had its first prices (or been told they are unavailable).
    needs_snapshot: bool = False
    pairs: frozenset[Pair] = field(default_factory=frozenset)
    # Bumped by every subscription, so a late first-prices fetch for an older one is dropped.
    generation: int = 0
    # Its first-prices fetch is running: one at a time per socket, so one socket cannot
    # have the upstream asked about new ids as fast as it can send messages.
    fetching: bool = False


class PriceFeed:
    """Every live subscriber of one gateway process and the one task that refreshes them."""

    def __init__(self, proxy: CryptoProxy, interval: float) -> None:
        self._proxy = proxy
        self._interval = interval
        self._subscribers: dict[web.WebSocketResponse, Subscriber] = {}
        self._prices: dict[Pair, float] = {}
        # Pairs the last refresh asked about and got an answer for (a price, or none: unknown).
        self._known: set[Pair] = set()
        self._stale = False
        # Coin ids CoinGecko answered without (unknown), and when that was learnt.
        self._unknown: dict[str, float] = {}
        self._snapshots: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="crypto price feed")

    async def close(self) -> None:
        """Stop refreshing and close every socket with 1001 (going away); safe to call twice."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for task in list(self._snapshots):
            task.cancel()
        await asyncio.gather(*self._snapshots, return_exceptions=True)
        sockets = list(self._subscribers)
        await asyncio.gather(
            *(
                ws.close(code=WSCloseCode.GOING_AWAY, message=b"gateway shutting down")
                for ws in sockets
            ),
            return_exceptions=True,
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(
            timeout=CLOSE_TIMEOUT, heartbeat=HEARTBEAT, max_msg_size=MAX_MESSAGE
        )
        if not ws.can_prepare(request).ok:
            if "websocket" in request.headers.get("Upgrade", "").lower():
                # A handshake, but a broken one (no or a bad Sec-WebSocket-Key, a version
                # other than 13): 426 would tell the client to send what it sent.
                raise ProblemError(
                    400,
                    "The WebSocket handshake is invalid: it needs Connection: Upgrade, "
                    "Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key of 16 base64 bytes.",
                    headers={"Sec-WebSocket-Version": "13"},
                )
            raise ProblemError(
                426,
                "This endpoint speaks WebSocket only: send an Upgrade: websocket request.",
                headers={"Upgrade": "websocket", "Connection": "Upgrade"},
            )
        if self._closing:
            raise ProblemError(503, "The gateway is shutting down.", headers={"Retry-After": "1"})
        copy_request_id(request, ws)
        await ws.prepare(request)
        transport = request.transport
        subscriber = Subscriber(ws, transport if isinstance(transport, asyncio.Transport) else None)
        self._subscribers[ws] = subscriber
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_text(subscriber, message.data)
                elif message.type == WSMsgType.BINARY:
                    await self._send(ws, _error("send JSON text messages, not binary ones"))
                elif message.type == WSMsgType.ERROR:
                    break  # aiohttp has already closed the socket (for example 1009: too big)
        finally:
            del self._subscribers[ws]
        return ws

    async def _on_text(self, subscriber: Subscriber, text: str) -> None:
        try:
            ids, vs = subscription(orjson.loads(text))
        except orjson.JSONDecodeError as exc:
            await self._send(subscriber.ws, _error(f"the message is not JSON: {exc}"))
            return
        except ProblemError as exc:
            errors = exc.extra.get("errors", [])
            await self._send(subscriber.ws, _error(exc.detail or "invalid message", errors))
            return
        refusal = self._refusal(subscriber, ids, vs)
        if refusal is not None:
            await self._send(subscriber.ws, refusal)
            return
        subscriber.ids, subscriber.vs = tuple(ids), vs
        subscriber.pairs = frozenset((coin, vs) for coin in ids)
        subscriber.generation += 1
        # Set before any await: no change message may overtake the first prices.
        subscriber.needs_snapshot = bool(ids)
        if ids:
            self._wake.set()  # the refresher follows these from now on
        await self._send(subscriber.ws, _encode({"type": "subscribed", "ids": ids, "vs": vs}))
        if not subscriber.needs_snapshot:
            return  # nothing subscribed, or the refresher sent the prices meanwhile
        if subscriber.pairs <= self._known:
            subscriber.needs_snapshot = False
            await self._send(subscriber.ws, self._prices_message(subscriber, snapshot=True))
            return
        # Its own fetch of what the feed does not know yet: the first prices do not wait for
        # a refresh of every other subscriber's coins (or for junk someone else subscribed).
        subscriber.fetching = True
        task = asyncio.create_task(self._first_prices(subscriber, subscriber.generation))
        self._snapshots.add(task)
        task.add_done_callback(self._snapshots.discard)

    def _refusal(self, subscriber: Subscriber, ids: list[str], vs: str) -> bytes | None:
        """Why this subscription is refused (an error message), or None."""
        now = time.monotonic()
        unknown = [
            coin for coin in ids if now - self._unknown.get(coin, -UNKNOWN_FOR) < UNKNOWN_FOR
        ]
        if unknown:
            shown = ", ".join(unknown[:MAX_LISTED_ERRORS])
            more = (
                f" and {len(unknown) - MAX_LISTED_ERRORS} more"
                if len(unknown) > MAX_LISTED_ERRORS
                else ""
            )
            return _error(
                f"CoinGecko has no coin with the id {shown}{more}; the subscription is unchanged"
            )
        others = [s for s in self._subscribers.values() if s is not subscriber]
        coins = {coin for s in others for coin in s.ids}
        currencies = {s.vs for s in others if s.ids}
        if len(coins | set(ids)) > MAX_FOLLOWED_COINS or (
            ids and len(currencies | {vs}) > MAX_FOLLOWED_CURRENCIES
        ):
            return _error(
                f"the live feed already follows as many coins ({MAX_FOLLOWED_COINS}) or "
                f"currencies ({MAX_FOLLOWED_CURRENCIES}) as it may; subscribe to ones it "
                "follows, or try again later"
            )
        new = frozenset((coin, vs) for coin in ids) - self._known
        if new and subscriber.fetching:
            return _error(
                "the prices of your previous subscription are still being fetched; subscribe "
                "again once they arrive (the subscription is unchanged)"
            )
        return None

    async def _first_prices(self, subscriber: Subscriber, generation: int) -> None:
        missing = sorted(coin for coin, _ in subscriber.pairs - self._known)
        failure: Answer | None = None
        try:
            for chunk in _chunks(missing, MAX_IDS):
                answer = await self._proxy.get(price_question_for(chunk, [subscriber.vs]))
                if answer.entry is None or answer.entry.status != 200:
                    failure = answer
                    break
                self._learn(answer, chunk, [subscriber.vs], merge=True)
        except Exception:  # one subscriber's fetch must not end the feed
            log.exception("fetching a new subscriber's first prices failed")
            return
        finally:
            subscriber.fetching = False
        if subscriber.generation != generation or not subscriber.needs_snapshot:
            return  # resubscribed meanwhile, or the refresher was quicker
        if subscriber.pairs <= self._known:
            subscriber.needs_snapshot = False
            await self._send(subscriber.ws, self._prices_message(subscriber, snapshot=True))
        elif failure is not None:
            subscriber.needs_snapshot = False
            await self._send(subscriber.ws, _unavailable(failure))

    def _learn(
        self,
        answer: Answer,
        coins: Sequence[str],
        currencies: Sequence[str],
        *,
        merge: bool,
        prices: dict[Pair, float] | None = None,
        known: set[Pair] | None = None,
    ) -> None:
        """Read one /simple/price answer: its prices, the pairs it answered, unknown coins.

        ``merge`` adds pairs the feed did not know yet straight into its state (a new
        subscriber's fetch: nothing known changes, so nobody misses an update); otherwise
        they go into ``prices`` and ``known`` for the refresh to compare.
        """
        assert answer.entry is not None
        table = orjson.loads(answer.entry.body)
        now = time.monotonic()
        into_prices = self._prices if merge else prices
        into_known = self._known if merge else known
        assert into_prices is not None and into_known is not None
        self._stale = self._stale or answer.stale if merge else self._stale
        for coin in coins:
            quotes = table.get(coin)
            if quotes is None:
                self._unknown[coin] = now
                quotes = {}
            for vs in currencies:
                pair = (coin, vs)
                if merge and pair in self._known:
                    continue
                into_known.add(pair)
                price = quotes.get(vs)
                if isinstance(price, int | float) and not isinstance(price, bool):
                    into_prices[pair] = float(price)

    async def _run(self) -> None:
        while True:
            if not any(s.ids for s in self._subscribers.values()):
                # Nobody follows anything: sleep until a subscription (its first prices are
                # its own fetch), then refresh every interval.
                self._wake.clear()
                await self._wake.wait()
                continue
            await asyncio.sleep(self._interval)
            try:
                await self._refresh()
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad refresh must not end the feed for everyone
                log.exception("refreshing live prices failed")

    async def _refresh(self) -> None:
        wanted: set[Pair] = set()
        for subscriber in self._subscribers.values():
            wanted |= subscriber.pairs
        if not wanted:
            self._prices.clear()
            self._known.clear()
            return
        coins = sorted({coin for coin, _ in wanted})
        currencies = sorted({vs for _, vs in wanted})
        prices: dict[Pair, float] = {}
        known: set[Pair] = set()
        failure: Answer | None = None
        stale = False
        for coin_chunk in _chunks(coins, MAX_IDS):
            for vs_chunk in _chunks(currencies, MAX_CURRENCIES):
                answer = await self._proxy.get(price_question_for(coin_chunk, vs_chunk))
                if answer.entry is None or answer.entry.status != 200:
                    failure = answer
                    continue
                stale = stale or answer.stale
                self._learn(answer, coin_chunk, vs_chunk, merge=False, prices=prices, known=known)
        changed = {pair for pair, price in prices.items() if self._prices.get(pair) != price}
        # Forget what nobody asks about any more, and coins that no longer have a price.
        self._prices = {pair: self._prices[pair] for pair in self._prices if pair in wanted}
        for pair in known - prices.keys():
            if self._prices.pop(pair, None) is not None:
                changed.add(pair)
        self._prices.update(prices)
        self._known = (self._known & wanted) | known
        self._stale = stale
        now = time.monotonic()
        self._unknown = {c: t for c, t in self._unknown.items() if now - t < UNKNOWN_FOR}
        await self._notify(changed, failure)

    async def _notify(self, changed: set[Pair], failure: Answer | None) -> None:
        # Subscribers with the same subscription get the very same encoded message.
        encoded: dict[tuple[Any, ...], bytes] = {}
        sends = []
        for subscriber in list(self._subscribers.values()):
            if not subscriber.ids:
                continue
            if subscriber.needs_snapshot:
                if subscriber.pairs <= self._known:
                    key: tuple[Any, ...] = ("snapshot", subscriber.ids, subscriber.vs)
                    make = functools.partial(self._prices_message, subscriber, snapshot=True)
                elif failure is not None:
                    key = ("unavailable",)
                    make = functools.partial(_unavailable, failure)
                else:
                    continue
                subscriber.needs_snapshot = False
            elif subscriber.pairs & changed:
                key = ("update", subscriber.ids, subscriber.vs)
                make = functools.partial(
                    self._prices_message, subscriber, snapshot=False, only=changed
                )
            else:
                continue
            message = encoded.get(key)
            if message is None:
                message = encoded[key] = make()
            sends.append(self._send(subscriber.ws, message))
        await asyncio.gather(*sends)

    def _prices_message(
        self, subscriber: Subscriber, *, snapshot: bool, only: set[Pair] | None = None
    ) -> bytes:
        vs = subscriber.vs
        prices: dict[str, float | None] = {}
        for coin in subscriber.ids:
            pair = (coin, vs)
            if only is None or pair in only:
                prices[coin] = self._prices.get(pair)
        message: dict[str, Any] = {
            "type": "prices",
            "snapshot": snapshot,
            "vs": vs,
            "prices": prices,
            "stale": self._stale,
        }
        return _encode(message)

    async def _send(self, ws: web.WebSocketResponse, payload: bytes) -> None:
        if ws.closed:
            return
        subscriber = self._subscribers.get(ws)
        transport = subscriber.transport if subscriber is not None else None
        if transport is not None and transport.get_write_buffer_size() > MAX_SEND_BUFFER:
            self._drop(transport, "its unread messages passed the limit")
            return
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                await ws.send_frame(payload, WSMsgType.TEXT)
        except TimeoutError:
            if transport is not None:
                self._drop(transport, f"it took no message for {SEND_TIMEOUT:g} s")
        except (ConnectionError, RuntimeError) as exc:
            # Closing: its own handler notices the close; the feed moves on.
            log.debug("a live price message was not delivered: %r", exc)

    @staticmethod
    def _drop(transport: asyncio.Transport, why: str) -> None:
        """Close a subscriber that does not read, at once and without a close handshake
        (it would not read that either); its handler then ends."""
        log.info("dropping a live subscriber: %s", why)
        transport.abort()


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _encode(message: dict[str, Any]) -> bytes:
    return orjson.dumps(message)


def _error(text: str, errors: list[Any] | None = None) -> bytes:
    message: dict[str, Any] = {"type": "error", "error": text}
    if errors:
        message["errors"] = errors[:MAX_LISTED_ERRORS]
        if len(errors) > MAX_LISTED_ERRORS:
            message["errors_not_listed"] = len(errors) - MAX_LISTED_ERRORS
    return _encode(message)


def _unavailable(failure: Answer) -> bytes:
    problem = failure.problem
    message: dict[str, Any] = {
        "type": "error",
        "error": "prices are unavailable right now; they will be sent once the upstream answers",
        "status": problem.status if problem else 502,
    }
    if problem is not None:
        message["detail"] = problem.detail
        if "Retry-After" in problem.headers:
            message["retry_after"] = int(problem.headers["Retry-After"])
    return _encode(message)
