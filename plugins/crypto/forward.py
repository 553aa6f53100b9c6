"""A CoinGecko v3 path and query as the client sent them, to a :class:`Question` for it.

The forwarded side of the plugin: any GET under the prefix that is not one of its own routes
is CoinGecko's own path (``/v1/crypto/coins/bitcoin/market_chart?vs_currency=usd&days=1``
is CoinGecko's ``/coins/bitcoin/market_chart``), forwarded when its family (families.py) is
known and answered as CoinGecko answers it. So real CoinGecko clients (pycoingecko, the
official SDKs, curl from CoinGecko's docs) work with the gateway as their base URL.

Normalising is lighter than on the curated routes, since the plugin does not know every
parameter of every path: a trailing slash is dropped (CoinGecko treats both alike), parameters
are sorted by name (their order never matters to CoinGecko), values are kept as sent (a
search query or a contract address may be case-sensitive), and a CoinGecko key sent as a
query parameter by a client (``x_cg_demo_api_key``, which pycoingecko sends) is dropped: the
gateway calls with its own key, and one client's key must not become part of a cache key or
reach a log.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from gateway import ProblemError
from gateway_plugins.crypto.families import Families
from gateway_plugins.crypto.paths import normalised_path
from gateway_plugins.crypto.proxy import Question
from gateway_plugins.crypto.validation import MAX_QUERY_FIELDS, MAX_QUERY_LENGTH

# Query parameters that carry a CoinGecko key: never forwarded, never part of a key.
CLIENT_KEYS = frozenset({"x_cg_demo_api_key", "x_cg_pro_api_key"})
MAX_VALUE_LENGTH = 1024


class CoinGeckoForwarder:
    """Makes the questions of forwarded paths for one sub-application's families."""

    def __init__(self, families: Families) -> None:
        self.families = families
        self.question = lru_cache(maxsize=4096)(self._question)

    def _question(self, tail: str, raw_query: str) -> tuple[Question, float]:
        """The question for ``tail`` and ``raw_query``, and how long its answer is fresh."""
        path = normalised_path(tail)
        family = self.families.find(path) if path is not None else None
        if path is None or family is None:
            raise ProblemError(
                404,
                f"/{tail} is not a CoinGecko v3 path this gateway forwards "
                "(docs/crypto.md lists the path families).",
            )
        pairs = _pairs(raw_query)
        key = f"{path}?{urlencode(pairs, safe=',')}" if pairs else path
        return Question(key, path, pairs, family.shape), family.ttl


def _pairs(raw: str) -> tuple[tuple[str, str], ...]:
    if len(raw) > MAX_QUERY_LENGTH:
        detail = f"the query string is longer than {MAX_QUERY_LENGTH} characters"
        raise _invalid("", detail)
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        raise _invalid("", f"more than {MAX_QUERY_FIELDS} query parameters") from None
    kept = []
    for name, value in pairs:
        if name.lower() in CLIENT_KEYS:
            continue
        if not name or len(name) > 64 or len(value) > MAX_VALUE_LENGTH:
            raise _invalid(
                name[:64], f"names are 1-64 characters, values at most {MAX_VALUE_LENGTH}"
            )
        kept.append((name, value))
    # Sorted by name only: a parameter given twice keeps its values' order.
    return tuple(sorted(kept, key=lambda pair: pair[0]))


def _invalid(parameter: str, detail: str) -> ProblemError:
    return ProblemError(
        422,
        "The request has 1 invalid value; see errors.",
        title="Invalid request",
        errors=[{"parameter": parameter, "detail": detail}],
    )
