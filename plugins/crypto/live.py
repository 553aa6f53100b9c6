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
import contextlib
import functools
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from gateway import (
    ProblemError,
)
from gateway_plugins.crypto.churn import MessageRate
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
# First-prices fetches at once, across the process, of sockets that have asked about unknown
# coins before: however many of them churn junk, they hold this many upstream connections at
# most, and a new subscriber's fetch finds one free instead of queueing behind them.
UNKNOWN_ASKERS_FETCHES = 2

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
    # One of its subscriptions named a coin CoinGecko does not know: its later first-prices
    # fetches take the narrow lane (see PriceFeed._first_prices).
    asked_unknown: bool = False
    # Its window in the feed's MessageRate, and how many messages in a row it refused.
    rate_key: str = ""
    refused: int = 0


class PriceFeed:
    """Every live subscriber of one gateway process and the one task that refreshes them."""

    def __init__(self, proxy: CryptoProxy, interval: float, rate: MessageRate) -> None:
        self._proxy = proxy
        self._interval = interval
        self._rate = rate
        self._subscribers: dict[web.WebSocketResponse, Subscriber] = {}
        self._prices: dict[Pair, float] = {}
        # Pairs the last refresh asked about and got an answer for (a price, or none: unknown).
        self._known: set[Pair] = set()
        self._stale = False
        # What every subscriber was last told about the feed: "fresh", "stale", "unavailable".
        self._state = "fresh"
        # Coin ids CoinGecko answered without (unknown), and when that was learnt.
        self._unknown: dict[str, float] = {}
        self._snapshots: set[asyncio.Task[None]] = set()
        self._unknown_askers_lane = asyncio.Semaphore(UNKNOWN_ASKERS_FETCHES)
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
        await ws.prepare(request)
        transport = request.transport
        # Not isinstance(transport, asyncio.Transport): uvloop's transports are not registered
        # as one, and the slow-reader limit would silently never apply on it.
        writable = transport is not None and hasattr(transport, "get_write_buffer_size")
        subscriber = Subscriber(ws, cast(asyncio.Transport, transport) if writable else None)
        subscriber.rate_key = self._rate.new_socket()
        self._subscribers[ws] = subscriber
        try:
            async for message in ws:
                data = message.type in (WSMsgType.TEXT, WSMsgType.BINARY)
                if data and not await self._admit(subscriber):
                    if ws.closed:
                        break
                    continue
                if message.type == WSMsgType.TEXT:
                    await self._on_text(subscriber, message.data)
                elif message.type == WSMsgType.BINARY:
                    await self._send(ws, _error("send JSON text messages, not binary ones"))
                elif message.type == WSMsgType.ERROR:
                    break  # aiohttp has already closed the socket (for example 1009: too big)
        finally:
            del self._subscribers[ws]
            await self._rate.forget(subscriber.rate_key)
        return ws

    async def _admit(self, subscriber: Subscriber) -> bool:
        """Whether this message of ``subscriber`` is within its rate; if not, it is told so,
        and closed with 1008 once it has sent too many refused messages in a row."""
        if await self._rate.admit(subscriber.rate_key):
            subscriber.refused = 0
            return True
        subscriber.refused += 1
        if subscriber.refused >= self._rate.refused_before_close:
            log.info("closing a live subscriber: it kept sending past its message rate")
            await subscriber.ws.close(
                code=WSCloseCode.POLICY_VIOLATION, message=b"too many messages"
            )
            return False
        retry_after = await self._rate.retry_after(subscriber.rate_key)
        message = {
            "type": "error",
            "error": (
                f"too many messages: at most {self._rate.describe()} per connection; this one "
                "is ignored (the subscription is unchanged), and the connection closes if "
                "this goes on"
            ),
            "retry_after": retry_after,
        }
        await self._send(subscriber.ws, _encode(message))
        return False

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
        if self._over_budget(subscriber, ids, vs):
            return _TOO_MANY_FOLLOWED
        new = frozenset((coin, vs) for coin in ids) - self._known
        if new and subscriber.fetching:
            return _error(
                "the prices of your previous subscription are still being fetched; subscribe "
                "again once they arrive (the subscription is unchanged)"
            )
        return None

    def _is_unknown(self, coin: str, now: float) -> bool:
        return now - self._unknown.get(coin, -UNKNOWN_FOR) < UNKNOWN_FOR

    def _polled(self, subscriber: Subscriber) -> bool:
        """Whether the refresher asks about ``subscriber``'s coins: not while its own first
        fetch runs (that fetch asks; junk still being fetched is nobody's refresh)."""
        return bool(subscriber.ids) and not subscriber.fetching

    def _over_budget(self, subscriber: Subscriber, ids: Sequence[str], vs: str) -> bool:
        """Whether following ``ids`` in ``vs`` would make the refresher poll more coins or
        currencies than it may. Coins known to be unknown are not polled, so not counted; nor
        are other sockets' subscriptions still being fetched (each is checked again once
        fetched), so a crowd of sockets subscribing junk cannot lock a real subscriber out."""
        now = time.monotonic()
        coins = {coin for coin in ids if not self._is_unknown(coin, now)}
        currencies = {vs} if ids else set()
        for other in self._subscribers.values():
            if other is subscriber or not self._polled(other):
                continue
            coins.update(coin for coin in other.ids if not self._is_unknown(coin, now))
            currencies.add(other.vs)
        return len(coins) > MAX_FOLLOWED_COINS or len(currencies) > MAX_FOLLOWED_CURRENCIES

    async def _first_prices(self, subscriber: Subscriber, generation: int) -> None:
        missing = sorted(coin for coin, _ in subscriber.pairs - self._known)
        failure: Answer | None = None
        lane = self._unknown_askers_lane if subscriber.asked_unknown else contextlib.nullcontext()
        try:
            async with lane:
                for chunk in _chunks(missing, MAX_IDS):
                    answer = await self._proxy.get(
                        price_question_for(chunk, [subscriber.vs]), revalidate_in_background=False
                    )
                    if answer.entry is None or answer.entry.status != 200:
                        failure = answer
                        break
                    self._learn(answer, chunk, [subscriber.vs], merge=True)
            now = time.monotonic()
            if any(self._is_unknown(coin, now) for coin in missing):
                subscriber.asked_unknown = True
        except Exception:  # one subscriber's fetch must not end the feed
            log.exception("fetching a new subscriber's first prices failed")
            return
        finally:
            subscriber.fetching = False
        if subscriber.generation != generation or not subscriber.needs_snapshot:
            return  # resubscribed meanwhile, or the refresher was quicker
        if self._over_budget(subscriber, subscriber.ids, subscriber.vs):
            # Others' fetches filled the budget meanwhile: this subscription is not followed.
            subscriber.ids, subscriber.pairs, subscriber.needs_snapshot = (), frozenset(), False
            await self._send(subscriber.ws, _TOO_MANY_FOLLOWED_NOW)
            return
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
        polled: set[Pair] = set()
        for subscriber in self._subscribers.values():
            wanted |= subscriber.pairs
            if self._polled(subscriber):
                polled |= subscriber.pairs
        if not wanted:
            self._prices.clear()
            self._known.clear()
            return
        now = time.monotonic()
        # Coins CoinGecko said it does not know are not asked about again until that expires.
        polled = {pair for pair in polled if not self._is_unknown(pair[0], now)}
        coins = sorted({coin for coin, _ in polled})
        currencies = sorted({vs for _, vs in polled})
        prices: dict[Pair, float] = {}
        known: set[Pair] = set()
        failure: Answer | None = None
        stale = False
        for coin_chunk in _chunks(coins, MAX_IDS):
            for vs_chunk in _chunks(currencies, MAX_CURRENCIES):
                answer = await self._proxy.get(
                    price_question_for(coin_chunk, vs_chunk), revalidate_in_background=False
                )
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
        self._stale = stale or (failure is not None and bool(self._prices))
        now = time.monotonic()
        self._unknown = {c: t for c, t in self._unknown.items() if now - t < UNKNOWN_FOR}
        if failure is not None and not self._prices:  # no price known at all
            state = "unavailable"
        elif self._stale:
            state = "stale"
        else:
            state = "fresh"
        told = await self._notify(changed, failure)
        if state != self._state:
            self._state = state
            await self._tell_everyone(state, failure, told)

    async def _tell_everyone(
        self, state: str, failure: Answer | None, told: set[Subscriber]
    ) -> None:
        """Every subscriber learns when the feed goes stale or unavailable, and when it recovers.

        Without this only new subscribers' snapshots said ``stale``: the existing ones heard
        nothing during an upstream outage, since no price changed.
        """
        message: dict[str, Any] = {"type": "status", "state": state, "stale": state != "fresh"}
        if state == "stale":
            message["detail"] = "CoinGecko is failing: the prices sent are the last known ones"
        elif state == "unavailable":
            message["detail"] = "CoinGecko is failing and no price is known; they will be sent"
            problem = failure.problem if failure is not None else None
            if problem is not None and "Retry-After" in problem.headers:
                message["retry_after"] = int(problem.headers["Retry-After"])
        else:
            message["detail"] = "CoinGecko answers again: prices are current"
        payload = _encode(message)
        await asyncio.gather(
            *(
                self._send(subscriber.ws, payload)
                for subscriber in list(self._subscribers.values())
                if subscriber.ids and not subscriber.needs_snapshot and subscriber not in told
            )
        )

    async def _notify(self, changed: set[Pair], failure: Answer | None) -> set[Subscriber]:
        """Send snapshots and changes; returns who was told prices are unavailable instead."""
        # Subscribers with the same subscription get the very same encoded message.
        encoded: dict[tuple[Any, ...], bytes] = {}
        sends = []
        told: set[Subscriber] = set()
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
                    told.add(subscriber)
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
        return told

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


_TOO_MANY_FOLLOWED = _error(
    f"the live feed already follows as many coins ({MAX_FOLLOWED_COINS}) or currencies "
    f"({MAX_FOLLOWED_CURRENCIES}) as it may; subscribe to ones it follows, or try again later"
)
_TOO_MANY_FOLLOWED_NOW = _error(
    f"the live feed follows as many coins ({MAX_FOLLOWED_COINS}) or currencies "
    f"({MAX_FOLLOWED_CURRENCIES}) as it may since other subscriptions arrived: this one is "
    "dropped; subscribe to coins it follows, or try again later"
)


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
