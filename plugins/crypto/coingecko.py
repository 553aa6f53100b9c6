"""The one HTTP client to CoinGecko: session, key header, timeout, and typed outcomes.

Every call ends in exactly one of :class:`Fetched`, :class:`Rejected`, :class:`RateLimited` or
:class:`Failed`; nothing here raises on an upstream problem, so the proxy decides what a client
sees. The API key travels only in a request header and is never logged.
"""

from __future__ import annotations

import email.utils
import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import orjson

from gateway import __version__
from gateway_plugins.crypto.settings import CryptoSettings

log = logging.getLogger("gateway_plugins.crypto.coingecko")

# CoinGecko's window when its 429 does not say; it refreshes data about once a minute anyway.
DEFAULT_RETRY_AFTER = 60.0
# A bogus Retry-After must not lock the gateway out of the upstream for days.
MAX_RETRY_AFTER = 3600.0
# /coins/{id} with tickers is a few hundred kB; anything far larger is not CoinGecko answering.
MAX_BODY_BYTES = 16 * 1024 * 1024

Shape = Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class Fetched:
    """A 200 whose body is the JSON shape expected; ``body`` is stored and served as is."""

    body: bytes


@dataclass(frozen=True, slots=True)
class Rejected:
    """CoinGecko says the question has no answer: 404 (unknown coin or path), 400 or 422 (a
    bad parameter), with its own JSON error body."""

    status: int
    body: bytes
    message: str


@dataclass(frozen=True, slots=True)
class RateLimited:
    """A 429: make no call for ``retry_after`` seconds."""

    retry_after: float


FailureKind = Literal["timeout", "connection", "status", "invalid"]


@dataclass(frozen=True, slots=True)
class Failed:
    """No usable answer: timed out, unreachable, a bad status, or not the JSON expected."""

    kind: FailureKind
    status: int | None
    detail: str
    # For the log only (it may name the upstream's address): what the client library said.
    cause: str = ""


UpstreamResult = Fetched | Rejected | RateLimited | Failed


class CoinGeckoClient:
    """Calls CoinGecko through one ``aiohttp.ClientSession`` (open it with :meth:`start`)."""

    def __init__(self, settings: CryptoSettings) -> None:
        self.base_url = settings.upstream
        self._timeout = settings.timeout
        self._limit = settings.max_connections
        self._headers = {
            "Accept": "application/json",
            "User-Agent": f"gateway-crypto/{__version__}",
        }
        if settings.key_header and settings.api_key:
            self._headers[settings.key_header] = settings.api_key
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            headers=self._headers,
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            connector=aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit),
            raise_for_status=False,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(
        self, path: str, params: Mapping[str, str] | Sequence[tuple[str, str]], shape: Shape
    ) -> UpstreamResult:
        """GET ``path`` (relative to the base URL) and classify the answer."""
        assert self._session is not None, "CoinGeckoClient.start() was not awaited"
        url = self.base_url + path
        started = time.monotonic()
        try:
            async with self._session.get(url, params=params, allow_redirects=False) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                body = await _read_capped(response)
        except TimeoutError:
            result: UpstreamResult = Failed("timeout", None, f"no answer within {self._timeout:g}s")
        except (aiohttp.ClientError, OSError) as exc:
            # Clients and /health see what failed, not where: the upstream's address (the
            # message of a connector error) is internal; the proxy's outage log keeps it.
            result = Failed("connection", None, _connection_failure(exc), f"{exc}")
        except _TooLarge:
            result = Failed("invalid", 200, f"the answer exceeds {MAX_BODY_BYTES} bytes")
        else:
            result = _classify(status, body, retry_after, shape)
        elapsed = (time.monotonic() - started) * 1000
        # Debug only: a failing CoinGecko is logged by the proxy once per outage and once per
        # change of its circuit (proxy.py, circuit.py), not once per call.
        log.debug("CoinGecko GET %s: %s (%.0fms)", path, describe(result), elapsed)
        return result


def describe(result: UpstreamResult) -> str:
    """A short human description of an outcome, for logs and health output."""
    if isinstance(result, Fetched):
        return "200 OK"
    if isinstance(result, Rejected):
        return f"{result.status}: {result.message}"
    if isinstance(result, RateLimited):
        return f"429 rate-limited for {result.retry_after:g}s"
    return result.detail


def _connection_failure(exc: BaseException) -> str:
    """What went wrong with the connection, without the upstream's host or port."""
    cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    if isinstance(cause, OSError) and cause.errno:
        # The errno's own text: asyncio's strerror names the address ("Connect call failed
        # ('10.0.0.5', 443)").
        return f"{type(exc).__name__}: {os.strerror(cause.errno)}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "ServerDisconnectedError: the upstream closed the connection"
    return type(exc).__name__


class _TooLarge(Exception):
    pass


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    if (response.content_length or 0) > MAX_BODY_BYTES:
        raise _TooLarge
    chunks = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _classify(status: int, body: bytes, retry_after: str | None, shape: Shape) -> UpstreamResult:
    if status == 429:
        return RateLimited(parse_retry_after(retry_after))
    data = _json_or_none(body)
    if status == 200:
        if data is None or not shape(data):
            return Failed("invalid", 200, "the answer is not the JSON expected")
        return Fetched(body)
    # Only CoinGecko's own JSON error counts as "no such thing": an HTML 404 from a wrong
    # base_url must not be cached as "unknown coin" for every coin.
    message = error_message(data) if status in REJECTED else None
    if message is not None:
        return Rejected(status, body, message)
    return Failed("status", status, f"answered {status}")


# CoinGecko's answers that mean "the question is wrong", not "CoinGecko is failing": remembered
# for not_found_ttl and never counted against the circuit. A 401/403 (the gateway's key) is a
# failure: the client did nothing wrong.
REJECTED = (400, 404, 422)


def error_message(data: Any) -> str | None:
    """CoinGecko's error text: ``{"error": "..."}`` or ``{"status": {"error_message": ...}}``."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("error"), str):
        return str(data["error"])
    status = data.get("status")
    if isinstance(status, dict) and isinstance(status.get("error_message"), str):
        return str(status["error_message"])
    return None


def _json_or_none(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def parse_retry_after(value: str | None, now: float | None = None) -> float:
    """Seconds to wait from a ``Retry-After`` (delta-seconds or HTTP date); 60 when absent."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            return DEFAULT_RETRY_AFTER
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


def is_json(data: Any) -> bool:
    """Any JSON document (the body parsed): what a forwarded path without a known shape needs."""
    return True


def is_coin(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("id"), str)


def is_price_table(data: Any) -> bool:
    """/simple/price: ``{"bitcoin": {"usd": 67000.0, ...}, ...}`` (an unknown id is left out)."""
    return isinstance(data, dict) and all(isinstance(v, dict) for v in data.values())


def is_list(data: Any) -> bool:
    return isinstance(data, list)
