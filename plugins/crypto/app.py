"""The crypto sub-application: routes, and the resources opened at start-up and closed at exit."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gateway import ADMIN_ROUTES, continue_when_read, open_cache_store, purge_routes
from gateway_plugins.crypto import views
from gateway_plugins.crypto.churn import MessageRate
from gateway_plugins.crypto.circuit import Circuit
from gateway_plugins.crypto.coingecko import CoinGeckoClient
from gateway_plugins.crypto.families import NOT_COIN_IDS, Families
from gateway_plugins.crypto.forward import CoinGeckoForwarder
from gateway_plugins.crypto.keys import FEED, PROXY, SETTINGS, STATS
from gateway_plugins.crypto.live import PriceFeed
from gateway_plugins.crypto.proxy import CryptoProxy
from gateway_plugins.crypto.settings import CryptoSettings
from gateway_plugins.crypto.stats import CryptoStats

# The plugin's own routes, one segment each: never forwarded.
OWN_PATHS = ("price", "info", "markets", "ws")
# CoinGecko's busiest paths, also routes of their own: aiohttp finds one with a dict lookup,
# where the pattern below is tried only after each shorter prefix of the path (about 100
# bytecodes of a hit, python bench/bytecodes.py). The same handler and answers.
DIRECT_PATHS = (
    "simple/price",
    "simple/supported_vs_currencies",
    "coins/markets",
    "coins/list",
    "ping",
    "search",
    "global",
)


def build_app(settings: CryptoSettings) -> web.Application:
    """Everything is built here (nothing connects yet), so the keys are set before freezing."""
    app = web.Application()
    stats = CryptoStats()
    families = Families(settings.ttl, settings.paths)
    # The gateway's own cache store (the cache plugin's too): memory, or Redis with this
    # process's memory standing in while it is down. Nothing connects yet.
    store = open_cache_store(settings.cache, settings.cache_namespace, settings.cache_max_memory)
    proxy = CryptoProxy(
        store,
        CoinGeckoClient(settings),
        stats,
        families=families,
        ttl=settings.ttl,
        stale_ttl=settings.stale_ttl,
        not_found_ttl=settings.not_found_ttl,
        timeout=settings.timeout,
        stale_while_revalidate=settings.stale_while_revalidate,
        failure_ttl=settings.failure_ttl,
        circuit=Circuit(
            settings.circuit_failures, settings.circuit_open_for, settings.circuit_max_open_for
        ),
        max_calls=settings.max_connections,
    )
    app[SETTINGS] = settings
    app[STATS] = stats
    app[PROXY] = proxy
    # DELETE /_gateway/plugins/<instance>/entries?key=|prefix=: the cache plugin's purge, over
    # this store (keys are CoinGecko's paths and sorted queries; a failure remembered for a
    # key, <key>#failed, goes with a prefix).
    app[ADMIN_ROUTES] = purge_routes(store.purge)
    rate = MessageRate(settings.ws_message_rate, settings.ws_refused_before_close)
    app[FEED] = PriceFeed(proxy, settings.refresh_interval, rate)
    app.cleanup_ctx.append(_resources)
    # on_shutdown runs before the server waits for handlers: live sockets close first.
    app.on_shutdown.append(_close_live_sockets)

    app.router.add_get("/price", views.price_view(proxy))  # first: the hot path resolves soonest
    app.router.add_post("/info", views.info, expect_handler=continue_when_read)
    # CoinGecko's paths under /coins that are not coin ids go to the forwarder below.
    app.router.add_get(f"/coins/{{id:(?!(?:{'|'.join(NOT_COIN_IDS)})$)[^/]+}}", views.coin)
    app.router.add_get("/markets", views.markets)
    app.router.add_get("/ws", views.live)
    # Last: every other GET is CoinGecko's own v3 path (forward.py), trailing slash or not.
    # Not the plugin's own paths: a GET of /info stays a 405 that allows POST only.
    forwarder = CoinGeckoForwarder(families)
    for tail in DIRECT_PATHS:
        app.router.add_get(f"/{tail}", views.forwarded_view(proxy, forwarder, tail))
    forwarded = views.forwarded_view(proxy, forwarder)
    own = "|".join(OWN_PATHS)
    app.router.add_get(f"/{{tail:(?!(?:{own})$).+}}", forwarded)
    return app


async def _resources(app: web.Application) -> AsyncIterator[None]:
    proxy = app[PROXY]
    # A Redis that does not answer does not stop the start: the process serves from its own
    # memory until it does (gateway/cache_store.py); `gateway check --connect` tells a wrong
    # URL apart.
    await proxy.store.start()
    await proxy.client.start()
    app[FEED].start()
    try:
        yield
    finally:
        await app[FEED].close()
        await proxy.close()
        await proxy.client.close()
        await proxy.store.close()


async def _close_live_sockets(app: web.Application) -> None:
    await app[FEED].close()
