"""Path families of CoinGecko v3: which paths are forwarded, and how long each is fresh.

A family is a path pattern: literal segments, ``{name}`` for exactly one segment, and ``*`` as
the last segment for one or more further segments. ``/coins/{id}`` is every coin,
``/simple/*`` everything under ``/simple`` (not ``/simple`` itself). When several patterns
match a path, the most specific wins: segment by segment a literal beats ``{name}``, which
beats ``*``; so ``/coins/list`` is never taken for a coin id and ``/coins/{id}/history``
beats ``/coins/{id}/*``.

A path that no family matches is not forwarded: a 404 without an upstream call, so junk paths
cannot spend the quota. The operator adds families or changes their time to live with
``[plugins.crypto.paths]`` (docs/crypto.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gateway_plugins.crypto.coingecko import Shape, is_coin, is_json, is_list, is_price_table
from gateway_plugins.crypto.paths import pattern_segments

# How long CoinGecko's slowly changing lists stay fresh by default: it adds coins, exchanges and
# platforms a few times a day, and /coins/list is a few MB that the keyless plan may ask for
# only a few times a minute.
HOUR = 3600.0
# Charts and history have minute-to-hour granularity: five minutes costs nothing in accuracy.
CHART = 300.0
# None: the plugin's ``ttl`` (60 s by default), CoinGecko's own refresh interval.
DEFAULT_FAMILIES: dict[str, float | None] = {
    "/ping": None,
    "/simple/*": None,
    "/simple/price": None,
    "/simple/supported_vs_currencies": HOUR,
    "/coins/list": HOUR,
    "/coins/list/new": None,
    "/coins/markets": None,
    "/coins/categories": None,
    "/coins/categories/list": HOUR,
    "/coins/top_gainers_losers": None,
    "/coins/{id}": None,
    "/coins/{id}/*": None,
    "/coins/{id}/history": HOUR,
    "/coins/{id}/market_chart": CHART,
    "/coins/{id}/market_chart/range": CHART,
    "/coins/{id}/ohlc": CHART,
    "/coins/{id}/ohlc/range": CHART,
    "/coins/{id}/contract/{address}": None,
    "/coins/{id}/contract/{address}/market_chart": CHART,
    "/coins/{id}/contract/{address}/market_chart/range": CHART,
    "/asset_platforms": HOUR,
    "/token_lists/{platform}/all.json": HOUR,
    "/exchanges": None,
    "/exchanges/list": HOUR,
    "/exchanges/{id}": None,
    "/exchanges/{id}/*": None,
    "/exchanges/{id}/volume_chart": CHART,
    "/exchanges/{id}/volume_chart/range": CHART,
    "/derivatives": None,
    "/derivatives/*": None,
    "/derivatives/exchanges/list": HOUR,
    "/indexes": None,
    "/indexes/list": HOUR,
    "/indexes/{market}/{id}": None,
    "/nfts/list": HOUR,
    "/nfts/markets": None,
    "/nfts/{id}": None,
    "/nfts/{id}/*": None,
    "/search": CHART,
    "/search/trending": CHART,
    "/global": None,
    "/global/*": None,
    "/exchange_rates": None,
    "/companies/public_treasury/{coin}": HOUR,
    "/onchain/*": None,
}

# CoinGecko's own paths one segment under /coins: never taken for a coin id by the curated
# /coins/{id} route (app.py), so they reach their own families.
NOT_COIN_IDS = ("list", "markets", "categories", "top_gainers_losers")

# The answers the gateway checks before storing, by family: what the curated routes already
# check (an answer of another shape is a CDN page or an outage, never stored). Every other
# family only has to be JSON.
SHAPES: dict[str, Shape] = {
    "/simple/price": is_price_table,
    "/coins/markets": is_list,
    "/coins/list": is_list,
    "/coins/{id}": is_coin,
}


@dataclass(frozen=True, slots=True)
class Family:
    """One path pattern, its time to live, and the shape its answers must have."""

    pattern: str
    ttl: float
    shape: Shape
    rank: tuple[int, ...]
    segments: tuple[str, ...]

    def matches(self, segments: tuple[str, ...]) -> bool:
        pattern = self.segments
        if pattern and pattern[-1] == "*":
            fixed = pattern[:-1]
            if len(segments) <= len(fixed):
                return False
        else:
            fixed = pattern
            if len(segments) != len(fixed):
                return False
        for want, got in zip(fixed, segments, strict=False):
            if want != "{}" and want != got:
                return False
        return True


def _rank(segments: tuple[str, ...]) -> tuple[int, ...]:
    # Compared as tuples: a literal (3) beats a {name} (2) beats * (1) at the first segment
    # where two patterns differ; a longer pattern beats a prefix of itself.
    return tuple(1 if s == "*" else 2 if s.startswith("{") else 3 for s in segments)


class Families:
    """The families in force: the defaults merged with the operator's ``paths``."""

    def __init__(self, ttl: float, overrides: Mapping[str, float]) -> None:
        # By canonical form: the operator's "/coins/{coin}" replaces the default "/coins/{id}".
        merged: dict[tuple[str, ...], tuple[str, float | None]] = {}
        for pattern, lifetime in [*DEFAULT_FAMILIES.items(), *overrides.items()]:
            canonical = tuple("{}" if s.startswith("{") else s for s in pattern_segments(pattern))
            shape_of = merged.get(canonical, (pattern, None))[0]
            merged[canonical] = (shape_of, lifetime)
        families = []
        for canonical, (pattern, lifetime) in merged.items():
            shape = SHAPES.get(pattern, is_json)
            lifetime = ttl if lifetime is None else float(lifetime)
            families.append(Family(pattern, lifetime, shape, _rank(canonical), canonical))
        # Most specific first: the first match is the one that applies.
        self.all: tuple[Family, ...] = tuple(sorted(families, key=lambda f: f.rank, reverse=True))
        self.find = lru_cache(maxsize=4096)(self._find)

    def _find(self, path: str) -> Family | None:
        """The family of a normalised path (``/coins/bitcoin``), or None: not forwarded."""
        segments = tuple(path[1:].split("/"))
        for family in self.all:
            if family.matches(segments):
                return family
        return None

    def describe(self) -> list[dict[str, Any]]:
        return [{"pattern": f.pattern, "ttl": f.ttl} for f in self.all]
