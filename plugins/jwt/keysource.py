"""Where one instance's public keys come from, and keeping them fresh.

Remote keys (``jwks_url``, or the ``jwks_uri`` of the issuer's OpenID configuration) are
fetched at start-up and again in the background: after the response's ``Cache-Control:
max-age`` when it says so, and at least every ``jwks_refresh`` seconds. A token naming a
``kid`` the set does not hold fetches again at once (the provider rotated its keys), but at
most once per ``jwks_cooldown``: a flood of tokens with random kids costs one fetch per
cool-down, not one per token. When a fetch fails, the last good key set is kept and the failure
is shown in ``/health``. Files (``jwks_file``, ``public_keys``) are read at build time, so
``gateway check`` finds a missing one, and read again when they change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from gateway_plugins.jwt.keyset import KeySet, parse_jwks, read_jwks_file, read_pem_files
from gateway_plugins.jwt.metrics import JwtMetrics
from gateway_plugins.jwt.settings import JwtSettings

log = logging.getLogger("gateway_plugins.jwt")

_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(no-cache|no-store)\b", re.IGNORECASE)
# A JWKS document is a few kilobytes; a provider answering megabytes is broken or hostile.
_MAX_DOCUMENT = 1024 * 1024


def freshness(cache_control: str | None, longest: float, shortest: float) -> float:
    """Seconds the fetched set may be used: the response's max-age, within [shortest,
    longest]; ``no-cache``/``no-store`` mean as short as allowed."""
    if cache_control:
        if _NO_CACHE.search(cache_control):
            return shortest
        found = _MAX_AGE.findall(cache_control)
        if found:
            ages = {name.lower(): float(value) for name, value in found}
            age = ages.get("s-maxage", ages.get("max-age", longest))
            return max(shortest, min(longest, age))
    return longest


class FetchFailed(Exception):
    """A fetch that brought no key set; its message is fit for /health (no URL in it)."""


class KeySource:
    """One instance's current key set and its fetching."""

    def __init__(self, settings: JwtSettings, config_dir: Path) -> None:
        self.settings = settings
        self.metrics: JwtMetrics | None = None  # named by gateway_middlewares
        self.keys: KeySet | None = None
        self.fetched_at: float | None = None  # monotonic, of the set in use
        self.last_attempt = -float("inf")  # monotonic
        self.last_outcome = "not fetched yet"
        self.last_ok: bool | None = None
        self.fetches = 0  # attempts, for /health
        self._files = [config_dir / p for p in settings.public_keys]
        self._jwks_file = config_dir / settings.jwks_file if settings.jwks_file else None
        self._file_stamps: tuple[float, ...] = ()
        self._jwks_uri = settings.jwks_url
        self._session: aiohttp.ClientSession | None = None
        self._in_flight: asyncio.Task[None] | None = None
        self._next_refresh = 0.0
        if not settings.remote and settings.has_key_source:
            self._read_files()

    # -- files ---------------------------------------------------------------------------------

    def _stamps(self) -> tuple[float, ...]:
        paths = [*self._files, *([self._jwks_file] if self._jwks_file else [])]
        return tuple(path.stat().st_mtime for path in paths)

    def _read_files(self) -> None:
        """Read the key files (raises ValueError naming the file)."""
        keys: list[dict[str, Any]] = []
        if self._jwks_file is not None:
            keys += read_jwks_file(self._jwks_file).keys
        if self._files:
            keys += read_pem_files(self._files).keys
        self._file_stamps = self._stamps()
        self.keys = KeySet(keys)
        self.fetched_at = time.monotonic()
        self.last_outcome, self.last_ok = "read", True

    def _reread_changed_files(self) -> None:
        try:
            if self._stamps() == self._file_stamps:
                return
            self._read_files()
            log.info("jwt: key files changed; %d keys now", len(self.keys or ()))
        except (OSError, ValueError) as exc:
            self.last_outcome, self.last_ok = f"failed: {exc}", False
            log.warning("jwt: key files could not be read again, keeping the last: %s", exc)

    # -- remote --------------------------------------------------------------------------------

    async def running(self, app: web.Application) -> AsyncIterator[None]:
        """The instance's ``cleanup_ctx``: the HTTP session, the first fetch, the refresh
        task."""
        if not self.settings.remote:
            task = None
            if self.settings.has_key_source:
                task = asyncio.get_running_loop().create_task(self._watch_files())
            yield
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            return
        timeout = aiohttp.ClientTimeout(total=self.settings.fetch_timeout)
        self._session = aiohttp.ClientSession(timeout=timeout, raise_for_status=False)
        try:
            await self.refresh()
            if self.keys is None:
                log.warning(
                    "jwt: no keys at start-up (%s); tokens are answered 503 until a fetch "
                    "succeeds, tried again every %gs",
                    self.last_outcome,
                    self.settings.jwks_cooldown,
                )
            task = asyncio.get_running_loop().create_task(self._refresh_forever())
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if self._in_flight is not None:
                self._in_flight.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._in_flight
        finally:
            await self._session.close()

    async def _watch_files(self) -> None:
        while True:
            await asyncio.sleep(self.settings.jwks_refresh)
            self._reread_changed_files()

    async def _refresh_forever(self) -> None:
        while True:
            delay = self._next_refresh - time.monotonic()
            await asyncio.sleep(max(delay, 0.05))
            if time.monotonic() >= self._next_refresh:
                try:
                    await self.refresh()
                except Exception:  # a bug must not end the refreshing for good
                    log.exception("jwt: refreshing the key set failed")
                    self._next_refresh = time.monotonic() + self.settings.jwks_cooldown

    def may_fetch_now(self) -> bool:
        """Whether a fetch for an unknown kid is allowed now (once per cool-down), or one is
        already under way (whose result is worth waiting for)."""
        if self._in_flight is not None:
            return True
        return time.monotonic() - self.last_attempt >= self.settings.jwks_cooldown

    async def refresh(self) -> None:
        """Fetch the key set once; concurrent callers share the fetch under way."""
        if not self.settings.remote:
            self.last_attempt = time.monotonic()  # the cool-down holds for files too
            self._reread_changed_files()
            return
        if self._in_flight is None:
            self._in_flight = asyncio.get_running_loop().create_task(self._fetch())
            self._in_flight.add_done_callback(self._fetched)
        # Shielded: a request that gives up waiting does not cancel the others' fetch.
        await asyncio.shield(self._in_flight)

    def _fetched(self, task: asyncio.Task[None]) -> None:
        if self._in_flight is task:
            self._in_flight = None

    async def _fetch(self) -> None:
        self.last_attempt = time.monotonic()
        self.fetches += 1
        settings = self.settings
        try:
            if self._jwks_uri is None:
                self._jwks_uri = await self._discover()
            document, cache_control = await self._get_json(self._jwks_uri, "the JWK set")
            keys = parse_jwks(document)
        except FetchFailed as exc:
            if settings.uses_discovery and not settings.jwks_url:
                self._jwks_uri = None  # discover again next time: the provider may have moved
            self.last_outcome, self.last_ok = str(exc), False
            self._next_refresh = time.monotonic() + settings.jwks_cooldown
            if self.metrics is not None:
                self.metrics.fetched(False)
            log.warning("jwt: %s; keeping the last key set", exc)
            return
        except ValueError as exc:
            self.last_outcome, self.last_ok = f"the JWK set is not usable: {exc}", False
            self._next_refresh = time.monotonic() + settings.jwks_cooldown
            if self.metrics is not None:
                self.metrics.fetched(False)
            log.warning("jwt: %s; keeping the last key set", self.last_outcome)
            return
        if self.keys is None or self.keys.kids != keys.kids:
            log.info("jwt: key set fetched: %s", ", ".join(keys.describe()))
        self.keys = keys
        self.fetched_at = time.monotonic()
        self.last_outcome, self.last_ok = f"fetched {len(keys)} keys", True
        if self.metrics is not None:
            self.metrics.fetched(True)
        self._next_refresh = self.fetched_at + freshness(
            cache_control, settings.jwks_refresh, settings.jwks_cooldown
        )

    async def _discover(self) -> str:
        document, _ = await self._get_json(self.settings.discovery_url, "the OpenID configuration")
        if not isinstance(document, dict) or not isinstance(document.get("jwks_uri"), str):
            raise FetchFailed("the OpenID configuration names no jwks_uri")
        issuer = document.get("issuer")
        if self.settings.issuer is not None and issuer != self.settings.issuer:
            # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer it
            # was fetched for, or its keys are not that issuer's.
            raise FetchFailed("the OpenID configuration names another issuer")
        return str(document["jwks_uri"])

    async def _get_json(self, url: str, what: str) -> tuple[Any, str | None]:
        assert self._session is not None
        try:
            async with self._session.get(
                url, headers={"Accept": "application/json"}, allow_redirects=True
            ) as response:
                if response.status != 200:
                    raise FetchFailed(f"fetching {what} answered HTTP {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > _MAX_DOCUMENT:
                        raise FetchFailed(f"{what} is larger than {_MAX_DOCUMENT} bytes")
                cache_control = response.headers.get("Cache-Control")
        except TimeoutError:
            raise FetchFailed(f"fetching {what} timed out") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise FetchFailed(f"fetching {what} failed ({type(exc).__name__})") from None
        try:
            return orjson.loads(body), cache_control
        except ValueError:
            raise FetchFailed(f"{what} is not JSON") from None

    def age(self) -> float | None:
        return None if self.fetched_at is None else time.monotonic() - self.fetched_at
