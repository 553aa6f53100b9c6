"""A shared HTTP cache (RFC 9111) in front of any aiohttp handler.

:class:`HttpCache` answers a request from a store (gateway/cache_store.py) when it may,
forwards it to the handler when it must (conditionally, to revalidate what it has), stores
what the answer allows, and says what it did in ``Cache-Status`` (RFC 9211) on every answer it
touches. The cache middleware plugin runs it around routes of any plugin; another plugin may
run it around a handler of its own.

What it does, by RFC 9111 section:

- §3: only ``GET`` answers are stored (``HEAD`` is answered from them); an answer is stored
  unless ``no-store``, ``private``, ``Set-Cookie``, ``Vary: *``, a request with credentials
  without ``public``/``s-maxage``/``must-revalidate`` (§3.5: ``Authorization``, or an identity
  the gateway established), or a body over ``max_size``. An answer the handler streamed
  (prepared itself) passes through as it is, never buffered.
- §4.1: ``Vary``: a :class:`~gateway.cache_entry.VaryMarker` under the URL, each variant under
  its own key.
- §4.2: freshness from ``s-maxage``, ``max-age``, ``Expires``; heuristic only when configured;
  ``Age`` counted as §4.2.3 says and sent with the origin's ``Cache-Control`` unchanged.
- §4.3: stale entries with a validator are revalidated with ``If-None-Match`` /
  ``If-Modified-Since``; a 304 freshens the stored answer; clients' own conditional requests
  are answered 304 from the store.
- §4.4: a successful unsafe request (``POST``, ``PUT``, ``DELETE``, ``PATCH``) drops the
  stored answers of its URL.
- §5.2.1: the request's ``max-age``, ``max-stale``, ``min-fresh``, ``no-cache``,
  ``no-store``, ``only-if-cached`` (504 when nothing stored will do).
- RFC 5861: ``stale-while-revalidate`` answers at once while one refresh runs in the
  background; ``stale-if-error`` answers with the stale entry when the origin fails (5xx).

Concurrent misses of one key make one origin call (gateway/cache_fill.py), in a process and,
on a Redis store, across processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, istr

from gateway.cache_control import (
    Freshness,
    RequestDirectives,
    freshness,
    http_date,
    initial_age,
    storable_response,
)
from gateway.cache_entry import (
    StoredResponse,
    VaryMarker,
    stored_fields,
    variant_key,
    vary_names,
)
from gateway.cache_fill import FillCoalescer
from gateway.cache_status import add_cache_status, cache_status
from gateway.cache_store import VARIANT_SEPARATOR, CacheStore
from gateway.errors import ProblemError
from gateway.identity import identity_of

log = logging.getLogger("gateway.cache")

UNSAFE = frozenset(("POST", "PUT", "DELETE", "PATCH"))
# Conditional fields of a client: answered by the cache, never forwarded on a fill.
CONDITIONAL = ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range")
ORIGIN_FAILED = frozenset((500, 502, 503, 504))
# Request fields that take a request off HttpCache._plain_hit's short way. As istr, like the
# names below: a case-insensitive multidict takes an istr's folded form as it is.
# What makes a request other than the plain hit (HttpCache._plain_hit).
_CACHE_CONTROL, _PRAGMA, _RANGE = istr("Cache-Control"), istr("Pragma"), istr("Range")
_IF_NONE_MATCH, _IF_MODIFIED_SINCE = istr("If-None-Match"), istr("If-Modified-Since")
_now = time.time
_AGE, _CACHE_STATUS = istr("Age"), istr("Cache-Status")
# Fields a 304 carries (RFC 9110 §15.4.5).
NOT_MODIFIED_FIELDS = ("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Vary")

CacheEvent = Callable[[str, int], None]


# eq=False: hashed by identity (a C call), as each is the key of a memo on every hit.
@dataclass(frozen=True, slots=True, eq=False)
class CachePolicy:
    """What an operator decides for a scope (the cache plugin's settings, or a plugin's own).

    ``ttl``: the freshness lifetime of every answer stored, instead of the origin's (``None``:
    the origin's). ``heuristic``: the fraction of an answer's ``Last-Modified`` age it is
    fresh for when the origin says nothing (0: off, RFC 9111 §4.2.2), at most
    ``heuristic_max`` seconds. ``stale_while_revalidate`` and ``stale_if_error``: seconds,
    where the answer names none. ``keep_validated``: seconds an answer with a validator is
    kept past its freshness, to be revalidated with a conditional request.
    """

    ttl: float | None = None
    heuristic: float = 0.0
    heuristic_max: float = 86400.0
    stale_while_revalidate: float = 0.0
    stale_if_error: float = 0.0
    keep_validated: float = 300.0


@dataclass(frozen=True, slots=True)
class _Found:
    entry: StoredResponse | None
    key: str  # where the entry is (or would be) stored
    miss: str  # the RFC 9211 fwd reason when there is none: uri-miss or vary-miss

    @property
    def base(self) -> str:
        """The URL's key, without a variant's suffix."""
        return self.key.split(VARIANT_SEPARATOR)[0]


class HttpCache:
    """A shared cache named ``name`` (its ``Cache-Status`` member) over ``store``."""

    def __init__(
        self,
        store: CacheStore,
        *,
        name: str = "gateway",
        max_size: int = 1 << 20,
        hold_for: float = 30.0,
        wait_for: float = 10.0,
        events: CacheEvent | None = None,
    ) -> None:
        self.store = store
        self.name = name
        self.max_size = max_size
        self.coalescer = FillCoalescer(store, hold_for=hold_for, wait_for=wait_for)
        # Told of each hit, stale, miss, coalesced answer and stored entry (the plugin's
        # metrics); settable after construction.
        self.events: CacheEvent = events or _ignore
        self._refreshing: dict[str, asyncio.Task[None]] = {}

    @property
    def label(self) -> str:
        """The cache's name in ``Cache-Status`` now (``gateway-memory`` during an outage)."""
        return self.name + self.store.label_suffix

    # --- the request ----------------------------------------------------------------------

    async def handle(
        self,
        request: web.Request,
        handler: Callable[[web.Request], object],
        policy: CachePolicy,
        key: str | None = None,
    ) -> web.StreamResponse:
        """Answer ``request`` from the cache or through ``handler``; ``key`` defaults to the
        request's path and query as sent."""
        hit = self.hit(request, policy, key)
        if hit is not None:
            return hit
        return await self.miss(request, handler, policy, key)

    async def miss(
        self,
        request: web.Request,
        handler: Callable[[web.Request], object],
        policy: CachePolicy,
        key: str | None = None,
    ) -> web.StreamResponse:
        """:meth:`handle` after :meth:`hit` found nothing: everything but the common hit (a
        middleware tries :meth:`hit` first, without a coroutine, then awaits this)."""
        method = request.method
        key = request.raw_path if key is None else key
        if method != "GET" and method != "HEAD":  # forwarded untouched (unsafe ones invalidate)
            response = await _call(handler, request)
            if method in UNSAFE and response.status < 400:
                await self._invalidate(key)
            return response
        if "Range" in request.headers:  # ranges are the origin's: not combined here
            return await self._pass(request, handler, "bypass", "range")
        directives = RequestDirectives.of(request.headers)
        found = await self._find(key, request.headers)
        entry = found.entry
        now = time.time()
        if entry is not None:
            fresh = self._freshness(entry, policy)
            age = entry.age(now)
            left = fresh.lifetime - age
            if self._acceptable(fresh, left, age, directives):
                self.events("hit", 1)
                # RFC 9211 member made inline: a hit is the path to keep short.
                return self._serve(request, entry, age, f"{self.label}; hit; ttl={round(left)}")
            stale_for = -left
            if (
                left <= 0
                and not directives.no_cache
                and not fresh.must_revalidate
                and stale_for <= fresh.stale_while_revalidate
                and (directives.max_age is None or age <= directives.max_age)
            ):
                self.events("stale", 1)
                self._refresh_later(request, handler, found, policy)
                status = cache_status(
                    self.label, hit=True, ttl=left, detail="stale-while-revalidate"
                )
                return self._serve(request, entry, age, status)
        if directives.only_if_cached:  # nothing stored will do (acceptable ones were served)
            self.events("miss", 1)
            raise ProblemError(
                504,
                "Nothing stored answers this request, and it asked for stored answers only "
                "(Cache-Control: only-if-cached).",
                headers={"Cache-Status": cache_status(self.label, fwd=found.miss)},
            )
        if method == "HEAD" and entry is None:
            return await self._pass(request, handler, "method", None)
        reason = (
            found.miss
            if entry is None
            else ("request" if directives.no_cache or self._fresh(entry, policy, now) else "stale")
        )
        return await self._fill(request, handler, found, policy, directives, reason)

    def hit(
        self, request: web.Request, policy: CachePolicy, key: str | None = None
    ) -> web.Response | None:
        """The answer to ``request`` when it is the common hit, without a coroutine: a ``GET``
        or ``HEAD`` with no directives, conditions or range, and a fresh entry in memory;
        else ``None`` (then :meth:`miss` answers it, exactly as this would have). For a
        middleware to try first: a hit is the path to keep short."""
        method = request.method
        if method != "GET" and method != "HEAD":
            return None
        return self._plain_hit(request, request.raw_path if key is None else key, policy)

    def _plain_hit(
        self, request: web.Request, key: str, policy: CachePolicy
    ) -> web.Response | None:
        """The common hit, without a coroutine: a fresh entry in memory for a request with no
        directives, conditions or range (everything else goes the long way, :meth:`handle`).
        It answers exactly as the long way would."""
        value = self.store.peek(key)
        if type(value) is not StoredResponse:
            return None
        asked = request.headers
        # One expression rather than a loop over the names: this runs on every hit.
        if (
            _CACHE_CONTROL in asked
            or _PRAGMA in asked
            or _RANGE in asked
            or _IF_NONE_MATCH in asked
            or _IF_MODIFIED_SINCE in asked
        ):
            return None
        fresh = value.memo.get(policy) or self._freshness(value, policy)
        age = value.initial_age + max(0.0, _now() - value.response_time)
        left = fresh.lifetime - age
        if left <= 0 or fresh.no_cache:
            return None
        self.events("hit", 1)
        response = web.Response(
            status=value.status, headers=value.shared_headers(), body=value.body
        )
        headers = response.headers
        headers[_AGE] = str(int(age))  # §5.1: whole seconds, rounded down
        member = f"{self.label}; hit; ttl={round(left)}"
        inner = headers.get(_CACHE_STATUS)
        headers[_CACHE_STATUS] = f"{inner}, {member}" if inner else member
        return response

    async def purge(self, key: str | None = None, prefix: str | None = None) -> int:
        """Drop the answers stored for ``key`` (every variant), or under ``prefix``."""
        return await self.store.purge(key=key, prefix=prefix)

    # --- finding and judging ----------------------------------------------------------------

    async def _find(self, key: str, headers: CIMultiDictProxy[str]) -> _Found:
        store = self.store
        value = store.peek(key)
        if value is None:
            value = await store.get(key)
        if isinstance(value, VaryMarker):
            vkey = variant_key(value, key, headers)
            variant = store.peek(vkey) or await store.get(vkey)
            if isinstance(variant, StoredResponse):
                return _Found(variant, vkey, "vary-miss")
            return _Found(None, vkey, "vary-miss")
        if isinstance(value, StoredResponse):
            return _Found(value, key, "uri-miss")
        return _Found(None, key, "uri-miss")

    @staticmethod
    def _freshness(entry: StoredResponse, policy: CachePolicy) -> Freshness:
        """The entry's freshness under ``policy``: worked out once per entry and policy."""
        known = entry.memo.get(policy)
        if known is not None:
            return known  # type: ignore[no-any-return]
        known = entry.memo[policy] = freshness(
            entry.status,
            entry.shared_headers(),
            heuristic_fraction=policy.heuristic,
            heuristic_max=policy.heuristic_max,
            ttl=policy.ttl,
            stale_while_revalidate=policy.stale_while_revalidate,
            stale_if_error=policy.stale_if_error,
        )
        return known

    def _fresh(self, entry: StoredResponse, policy: CachePolicy, now: float) -> bool:
        fresh = self._freshness(entry, policy)
        return not fresh.no_cache and fresh.lifetime > entry.age(now)

    @staticmethod
    def _acceptable(
        fresh: Freshness, left: float, age: float, directives: RequestDirectives
    ) -> bool:
        """Whether the entry may answer without going forward (§4.2, §5.2.1)."""
        if fresh.no_cache or directives.no_cache:
            return False
        if directives.max_age is not None and age > directives.max_age:
            return False
        if left > 0:
            return left >= directives.min_fresh
        # Stale: only where the client accepts it, and the origin allows it.
        return (
            directives.max_stale is not None
            and not fresh.must_revalidate
            and -left <= directives.max_stale
        )

    # --- going to the origin ------------------------------------------------------------------

    async def _fill(
        self,
        request: web.Request,
        handler: Callable[[web.Request], object],
        found: _Found,
        policy: CachePolicy,
        directives: RequestDirectives,
        reason: str,
    ) -> web.StreamResponse:
        async with self.coalescer.fill(found.key) as waited:
            if waited and not directives.no_cache:
                again = await self._find(found.base, request.headers)
                now = time.time()
                if again.entry is not None:
                    fresh = self._freshness(again.entry, policy)
                    age = again.entry.age(now)
                    left = fresh.lifetime - age
                    if self._acceptable(fresh, left, age, directives):
                        self.events("coalesced", 1)
                        status = cache_status(self.label, fwd=reason, ttl=left, collapsed=True)
                        return self._serve(request, again.entry, age, status)
                found = again if again.entry is not None else found
            return await self._forward(request, handler, found, policy, directives, reason)

    async def _forward(
        self,
        request: web.Request,
        handler: Callable[[web.Request], object],
        found: _Found,
        policy: CachePolicy,
        directives: RequestDirectives,
        reason: str,
    ) -> web.StreamResponse:
        entry = found.entry
        if reason in ("uri-miss", "vary-miss"):
            self.events("miss", 1)
        forwarded = _conditional(request, entry)
        request_time = time.time()
        response = await _call(handler, forwarded)
        response_time = time.time()
        status = response.status
        if not response.prepared and "Date" not in response.headers:
            # RFC 9110 §6.6.1: a cache forwarding or storing an answer without Date adds the
            # time it received it (aiohttp would add its own only when sending).
            response.headers["Date"] = formatdate(response_time, usegmt=True)
        if status == 304 and entry is not None:
            headers = response.headers
            age0 = initial_age(headers, request_time, response_time)
            updated = entry.freshened(headers, age0, response_time)
            fresh = self._freshness(updated, policy)
            await self._store(found.base, request, updated, fresh, policy)
            age = updated.age(time.time())
            freshened = cache_status(
                self.label, fwd=reason, fwd_status=304, ttl=fresh.lifetime - age, stored=True
            )
            return self._serve(request, updated, age, freshened)
        if status in ORIGIN_FAILED and entry is not None:
            fresh = self._freshness(entry, policy)
            window = (
                directives.stale_if_error
                if directives.stale_if_error is not None
                else fresh.stale_if_error
            )
            age = entry.age(time.time())
            left = fresh.lifetime - age
            if not fresh.must_revalidate and -left <= window:
                self.events("stale", 1)
                fallback = cache_status(
                    self.label, fwd=reason, fwd_status=status, ttl=left, detail="stale-if-error"
                )
                return self._serve(request, entry, age, fallback)
        if response.prepared or type(response) is not web.Response:
            return response  # streamed, or a kind of answer this cache does not copy
        body = response.body
        why = self._unstorable(request, response, body, directives, policy)
        if why is None:
            assert isinstance(body, bytes | bytearray)
            stored = StoredResponse(
                status,
                stored_fields(response.headers.items()),
                bytes(body),
                initial_age(response.headers, request_time, response_time),
                response_time,
            )
            fresh = self._freshness(stored, policy)
            kept = await self._store(found.base, request, stored, fresh, policy)
            member = cache_status(
                self.label,
                fwd=reason,
                fwd_status=status,
                ttl=fresh.lifetime - stored.age(response_time) if kept else None,
                stored=kept,
            )
        else:
            member = cache_status(self.label, fwd=reason, fwd_status=status, detail=why)
        add_cache_status(response.headers, member)
        if _not_modified(request, response.headers, status):
            return _not_modified_answer(response.headers)
        return response

    def _unstorable(
        self,
        request: web.Request,
        response: web.Response,
        body: object,
        directives: RequestDirectives,
        policy: CachePolicy,
    ) -> str | None:
        if request.method != "GET":
            return "method"
        if directives.no_store:
            return "request-no-store"
        if not isinstance(body, bytes | bytearray):
            return "body"
        if len(body) > self.max_size:
            return "too-large"
        if response.cookies:
            return "set-cookie"
        authorized = "Authorization" in request.headers or identity_of(request) is not None
        why = storable_response(
            response.status,
            response.headers,
            authorized=authorized,
            heuristic=policy.heuristic > 0,
        )
        # An operator's ttl is the lifetime of answers whose origin says nothing.
        return None if why == "no-freshness" and policy.ttl is not None else why

    async def _store(
        self,
        key: str,
        request: web.Request,
        entry: StoredResponse,
        fresh: Freshness,
        policy: CachePolicy,
    ) -> bool:
        keep_for = fresh.keep_for
        if entry.field("ETag") is not None or entry.field("Last-Modified") is not None:
            keep_for = max(keep_for, fresh.lifetime + policy.keep_validated)
        if keep_for <= 0:
            return False
        names = vary_names(entry.field("Vary"))
        store = self.store
        if names:
            # The marker in place keeps its generation (its other variants stay reachable);
            # a new one, after an invalidation or with other names, starts a new one.
            current = store.peek(key) or await store.get(key)
            if isinstance(current, VaryMarker) and current.names == names:
                marker = current
            else:
                marker = VaryMarker(names, entry.response_time)
            await store.set(key, marker, keep_for)
            stored = await store.set(variant_key(marker, key, request.headers), entry, keep_for)
        else:
            stored = await store.set(key, entry, keep_for)
        if stored:
            self.events("stored", entry.size)
        return stored

    async def _invalidate(self, key: str) -> None:
        try:
            # The URL's own key only: its variants go with their marker (VaryMarker).
            await self.store.delete(key)
        except Exception as exc:  # the write went through; what is stored ages out
            log.warning("could not drop the stored answers of %s: %s", key, exc)

    async def _pass(
        self,
        request: web.Request,
        handler: Callable[[web.Request], object],
        fwd: str,
        detail: str | None,
    ) -> web.StreamResponse:
        response = await _call(handler, request)
        if not response.prepared:
            add_cache_status(response.headers, cache_status(self.label, fwd=fwd, detail=detail))
        return response

    # --- stale-while-revalidate ---------------------------------------------------------------

    def _refresh_later(
        self,
        request: web.Request,
        handler: Callable[[web.Request], object],
        found: _Found,
        policy: CachePolicy,
    ) -> None:
        """One background refresh of ``found`` per process (and per Redis, by its lock)."""
        if found.key in self._refreshing or self.coalescer.filling(found.key):
            return
        task = asyncio.get_running_loop().create_task(
            self._refresh(request, handler, found, policy), name=f"cache refresh {found.key}"
        )
        self._refreshing[found.key] = task
        task.add_done_callback(lambda _: self._refreshing.pop(found.key, None))

    async def _refresh(
        self,
        request: web.Request,
        handler: Callable[[web.Request], object],
        found: _Found,
        policy: CachePolicy,
    ) -> None:
        try:
            async with self.coalescer.fill(found.key) as waited:
                if waited:
                    again = await self._find(found.base, request.headers)
                    if again.entry is not None and self._fresh(again.entry, policy, time.time()):
                        return  # another process refreshed it
                await self._forward(request, handler, found, policy, RequestDirectives(), "stale")
        except Exception as exc:
            log.warning("refreshing %s in the background failed: %s", found.key, exc)

    async def close(self) -> None:
        """Cancel the background refreshes (the application is stopping)."""
        tasks = list(self._refreshing.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- answering from the store ---------------------------------------------------------------

    def _serve(
        self, request: web.Request, entry: StoredResponse, age: float, member: str
    ) -> web.Response:
        # web.Response copies the fields it is given: the entry's own multidict, made once.
        response = web.Response(
            status=entry.status, headers=entry.shared_headers(), body=entry.body
        )
        headers = response.headers
        headers["Age"] = str(max(0, int(age)))  # §5.1: whole seconds, rounded down
        add_cache_status(headers, member)
        asked = request.headers
        if ("If-None-Match" in asked or "If-Modified-Since" in asked) and _not_modified(
            request, headers, entry.status
        ):
            return _not_modified_answer(headers)
        return response


def _ignore(event: str, amount: int) -> None:
    return None


async def _call(
    handler: Callable[[web.Request], object], request: web.Request
) -> web.StreamResponse:
    """The handler's answer; a 304 or redirect it raised (as aiohttp does) as an answer."""
    try:
        return await handler(request)  # type: ignore[misc, no-any-return]
    except web.HTTPException as exc:
        if exc.status >= 400:
            raise
        response = web.Response(status=exc.status, headers=exc.headers)
        if exc.status != 304 and exc.text:
            response.text = exc.text
        return response


def _conditional(request: web.Request, entry: StoredResponse | None) -> web.Request:
    """The request to send forward: the client's own conditions removed (the cache answers
    them), the stored entry's validators added (§4.3.1)."""
    headers = request.headers
    if entry is None and not any(name in headers for name in CONDITIONAL):
        return request
    forwarded = CIMultiDict(headers)
    for name in CONDITIONAL:
        forwarded.popall(name, None)
    if entry is not None:
        etag = entry.field("ETag")
        modified = entry.field("Last-Modified")
        if etag is not None:
            forwarded["If-None-Match"] = etag
        if modified is not None:
            forwarded["If-Modified-Since"] = modified
    return request.clone(headers=forwarded)


def _not_modified(request: web.Request, headers: CIMultiDict[str], status: int) -> bool:
    """Whether the client's own conditions say it has this answer already (RFC 9110 §13.2)."""
    if status != 200:
        return False
    asked = request.headers.get("If-None-Match")
    if asked is not None:
        etag = headers.get("ETag")
        if etag is None:
            return False
        if asked.strip() == "*":
            return True
        mine = _opaque(etag)
        return any(_opaque(tag) == mine for tag in asked.split(","))
    since = http_date(request.headers.get("If-Modified-Since"))
    modified = http_date(headers.get("Last-Modified"))
    return since is not None and modified is not None and modified <= since


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def _not_modified_answer(headers: CIMultiDict[str]) -> web.Response:
    kept = CIMultiDict(
        (name, value)
        for name, value in headers.items()
        if name.lower() in {n.lower() for n in (*NOT_MODIFIED_FIELDS, "Age", "Cache-Status")}
    )
    return web.Response(status=304, headers=kept)
