"""Typed keys for what the crypto sub-application keeps (set when the app is built)."""

from __future__ import annotations

from aiohttp import web

from gateway_plugins.crypto.live import PriceFeed
from gateway_plugins.crypto.proxy import CryptoProxy
from gateway_plugins.crypto.settings import CryptoSettings
from gateway_plugins.crypto.stats import CryptoStats

SETTINGS = web.AppKey("crypto.settings", CryptoSettings)
# Read by a future metrics hook: counters only ever grow.
STATS = web.AppKey("crypto.stats", CryptoStats)
PROXY = web.AppKey("crypto.proxy", CryptoProxy)
FEED = web.AppKey("crypto.feed", PriceFeed)
