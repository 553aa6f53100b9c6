"""Fresh, stale, coalesced, rate-limited: how one upstream question becomes one answer.

The cache is the gateway's own machinery (exported by ``gateway``): entries are
:class:`~gateway.StoredResponse` values in a :class:`~gateway.CacheStore` (memory, or Redis
with this process's memory standing in while it is down), fills are coalesced by a
:class:`~gateway.FillCoalescer`, failures and the rate-limit window are kept by
:class:`~gateway.OriginFailures`, and ``Cache-Status`` members are made by
:func:`~gateway.cache_status`. This module decides what CoinGecko's answers mean.

For a key, :meth:`CryptoProxy.get` serves a fresh entry (a hit) with no other work. Otherwise
exactly one upstream call is made for all concurrent askers: in this process a single task per
key fills it while the others await that task; across processes sharing Redis that task takes
the key's Redis lock, and a process that had to wait re-reads the cache (or the failure the
holder recorded) instead of calling again. While a 429's window is open no call is made at all.
When the call fails, a stale entry within ``stale_ttl`` is served instead of the error.

Protecting the quota when CoinGecko fails or is slow:

- a stale entry within ``stale_while_revalidate`` is served at once while one refresh runs in
  the background (RFC 5861), so no client waits for a slow CoinGecko when one is at hand;
- a failed call is remembered per key for ``failure_ttl``: that key is answered from stale or
  with the failure, without a call (negative caching of failures; CoinGecko's 404/400/422 are
  remembered for ``not_found_ttl`` as entries);
- after ``circuit_failures`` failures in a row the circuit (circuit.py) opens: no call at all
  until one probe may go;
- at most ``max_connections`` calls are in flight, and each checks the circuit when its turn
  comes, so a burst of distinct questions during an outage costs a bounded number of calls;
- the log says when an outage starts, when the circuit opens and when CoinGecko answers
  again, not once per request.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from gateway import (
    CacheStore,
    FillCoalescer,
    MemoryCacheStore,
    OriginFailure,
    OriginFailures,
    ProblemError,
    StoredResponse,
    cache_status,
)
from gateway_plugins.crypto.circuit import Circuit
from gateway_plugins.crypto.coingecko import (
    CoinGeckoClient,
    Failed,
    Fetched,
    RateLimited,
    Rejected,
    Shape,
    UpstreamResult,
    describe,
    error_message,
)
from gateway_plugins.crypto.families import Families
from gateway_plugins.crypto.stats import CryptoStats

log = logging.getLogger("gateway_plugins.crypto.proxy")

# Statuses whose entries are negative answers: remembered for not_found_ttl, never served stale.
# The curated routes answer them as these problems; forwarded paths pass CoinGecko's own on.
NEGATIVE = {404: 404, 400: 422, 422: 422}
# The cache's name in Cache-Status (RFC 9211); gateway-memory while Redis is down.
CACHE_NAME = "gateway"
# Cache-Status of a memory:// hit, made once.
_MEMORY_HIT = f"{CACHE_NAME}; hit"
_PROBLEM_STATUS = {"timeout": 504, "lock": 504, "connection": 502, "status": 502, "invalid": 502}
_CACHE_STATUS_DETAIL = {
    "timeout": "timeout",
    "lock": "lock-timeout",
    "connection": "connection-failed",
    "status": "bad-status",
    "invalid": "invalid-response",
}
Params = Mapping[str, str] | Sequence[tuple[str, str]]
# An entry: CoinGecko's status and body; its response_time is when it was stored.
Entry = StoredResponse


@dataclass(frozen=True, slots=True)
class Question:
    """One normalised upstream request: its cache key, path, query and the JSON shape expected.

    ``path`` is CoinGecko's (``/coins/bitcoin``): its family (families.py) says how long an
    answer stays fresh.
    """

    key: str
    path: str
    params: Params
    shape: Shape


@dataclass(slots=True)
class Answer:
    """What to tell the client: an entry to serve (fresh, stale or negative) or a problem.

    ``cache_status`` is the RFC 9211 ``Cache-Status`` member without ``ttl``, which is added
    at render time from ``entry.response_time`` (when it was stored) and ``lifetime``.
    """

    entry: Entry | None
    cache_status: str
    lifetime: float = 0.0
    stale: bool = False
    problem: ProblemError | None = None

    def collapsed(self) -> Answer:
        """The same answer as seen by a request that waited for another's upstream call."""
        if "fwd=" not in self.cache_status or self.cache_status.endswith("; collapsed"):
            # Nothing was forwarded (the rate-limit window), or it already says collapsed.
            return self
        # Appended to the member made for the request that called: the last parameter.
        status = self.cache_status + "; collapsed"
        if self.problem is None:
            return replace(self, cache_status=status)
        problem = ProblemError(
            self.problem.status,
            self.problem.detail,
            headers={**self.problem.headers, "Cache-Status": status},
            **self.problem.extra,
        )
        return replace(self, cache_status=status, problem=problem)


@dataclass(frozen=True, slots=True)
class UpstreamOutcome:
    """The last upstream call of this process, for the ``crypto:upstream`` health check."""

    at: float
    ok: bool
    description: str


class CryptoProxy:
    """The cache-aside proxy in front of :class:`CoinGeckoClient` (one per sub-application)."""

    def __init__(
        self,
        store: CacheStore,
        client: CoinGeckoClient,
        stats: CryptoStats,
        *,
        families: Families,
        ttl: float,
        stale_ttl: float,
        not_found_ttl: float,
        timeout: float,
        stale_while_revalidate: float = 0.0,
        failure_ttl: float = 0.0,
        circuit: Circuit | None = None,
        max_calls: int = 10,
    ) -> None:
        self.store = store
        # The memory store's own read when it is the whole cache: the hit path calls it
        # directly, without a coroutine. A shared store's entries are read by get().
        memory_only = isinstance(store, MemoryCacheStore)
        self._peek: Callable[[str], object] = store.peek if memory_only else _nothing
        self._shared_store = not memory_only
        # One fill per key in this process; across processes, the key's Redis lock, held for
        # the call at most (plus its margin) and waited for a little less.
        self.coalescer = FillCoalescer(store, hold_for=timeout + 5, wait_for=timeout + 2)
        self.failures = OriginFailures(store)
        self.client = client
        self.stats = stats
        # Bound once: the hit path calls it without looking up the stats first.
        self._count_hit = stats.hit
        self.families = families
        self.ttl = ttl
        self.stale_ttl = stale_ttl
        self.not_found_ttl = not_found_ttl
        self.timeout = timeout
        # A stale entry is served while revalidating only while it could be served on error.
        self.revalidate_within = min(stale_while_revalidate, stale_ttl)
        self.failure_ttl = failure_ttl
        self.circuit = circuit if circuit is not None else Circuit(5, 10.0, 300.0)
        # At most this many calls in flight (the client's connection limit): a call waiting
        # for its turn asks the circuit again when it comes, so an outage found by the first
        # calls stops the queued ones.
        self._slots = asyncio.Semaphore(max_calls)
        self.last_outcome: UpstreamOutcome | None = None

    @property
    def label(self) -> str:
        """The cache's name in ``Cache-Status`` now: who answers, and who stores."""
        return CACHE_NAME + self.store.label_suffix

    @property
    def shared(self) -> bool:
        """Whether entries are shared with other processes right now (Redis, answering)."""
        return self._shared_store and self.store.healthy

    def lifetime(self, path: str) -> float:
        """Seconds an answer for CoinGecko's ``path`` is fresh: its family's ``ttl``."""
        family = self.families.find(path)
        return family.ttl if family is not None else self.ttl

    def hit(self, key: str, now: float, ttl: float) -> Answer | None:
        """The hit for ``key`` at ``now`` when a memory:// cache holds a fresh entry, else None
        (then ask :meth:`get`, which looks again). ``ttl`` is the key's family's lifetime.

        The hot path of memory://: :meth:`get` without its miss handling. A shared cache
        always answers None here.
        """
        entry = self._peek(key)
        if type(entry) is not StoredResponse:
            return None
        lifetime = ttl if entry.status == 200 else self.not_found_ttl
        if now - entry.response_time >= lifetime:
            return None
        self._count_hit()
        return Answer(entry, _MEMORY_HIT, lifetime)

    async def get(self, question: Question, *, revalidate_in_background: bool = True) -> Answer:
        """The answer to ``question``; never raises for an upstream or cache problem.

        ``revalidate_in_background=False`` makes a request that finds a stale entry wait for
        the refresh (stale only if it fails): the live feed's, which wants the new prices.
        """
        ttl = self.lifetime(question.path)
        entry = await self._entry(question.key)
        if entry is not None:
            lifetime = ttl if entry.status == 200 else self.not_found_ttl
            age = time.time() - entry.response_time
            if age < lifetime:
                self.stats.hit()
                return Answer(entry, f"{self.label}; hit", lifetime)
            if entry.status != 200:
                entry = None  # an expired negative answer is never served
            elif revalidate_in_background and age < ttl + self.revalidate_within:
                self.stats.count("misses")
                self.stats.count("stale_serves")
                self.coalescer.start(question.key, lambda: self._fill(question, entry, ttl))
                status = cache_status(self.label, hit=True, detail="revalidating")
                return Answer(entry, status, ttl, stale=True)
        self.stats.count("misses")
        stale = entry
        answer, joined = await self.coalescer.share(
            question.key, lambda: self._fill(question, stale, ttl)
        )
        if joined:
            self.stats.count("coalesced_waits")
            answer = answer.collapsed()
        if answer.stale:
            self.stats.count("stale_serves")
        return answer

    async def close(self) -> None:
        """Cancel fills still running (at shutdown, before the session and cache close)."""
        await self.coalescer.close()

    async def window_remaining(self) -> float:
        """Seconds left in the open rate-limit window, 0 when none is open."""
        until = await self.failures.window_until()
        return max(0.0, until - time.time()) if until is not None else 0.0

    async def _entry(self, key: str) -> Entry | None:
        store = self.store
        value = store.peek(key)
        if value is None:
            value = await store.get(key)
        return value if type(value) is StoredResponse else None

    async def _fill(self, question: Question, stale: Entry | None, ttl: float) -> Answer:
        forwarded = "stale" if stale is not None else "miss"
        started = time.time()
        remaining = await self.window_remaining()
        if remaining:
            return self._rate_limited(stale, ttl, remaining, forwarded=False)
        remembered = await self._remembered_failure(question.key, stale, ttl)
        if remembered is not None:
            return remembered
        if self.circuit.remaining():
            return self._circuit_open(stale, ttl)
        async with self.coalescer.locked(question.key) as turn:
            if turn.timed_out:
                wait_for = self.coalescer.wait_for
                held = f"another gateway process held the lock for over {wait_for:g}s"
                return self._fallback(stale, ttl, forwarded, "lock", None, held)
            if turn.waited:
                self.stats.count("coalesced_waits")
                settled = await self._settled_meanwhile(question.key, stale, ttl, started)
                if settled is not None:
                    return settled
            elif turn.locked:
                # Another process may have filled the key and released the lock between
                # this request's miss and its taking the lock: look again before calling.
                filled = await self._filled_meanwhile(question.key, ttl)
                if filled is not None:
                    return filled
            result = await self._call(question)
            if result is None:
                return self._circuit_open(stale, ttl)
            return await self._store(question.key, result, stale, ttl, forwarded)

    async def _filled_meanwhile(self, key: str, ttl: float) -> Answer | None:
        entry = await self._entry(key)
        if entry is None:
            return None
        lifetime = ttl if entry.status == 200 else self.not_found_ttl
        if time.time() - entry.response_time >= lifetime:
            return None
        return Answer(entry, f"{self.label}; hit", lifetime)

    async def _settled_meanwhile(
        self, key: str, stale: Entry | None, ttl: float, since: float
    ) -> Answer | None:
        """After waiting for another process's fill: its result, if it left one."""
        entry = await self._entry(key)
        forwarded = "stale" if stale is not None else "miss"
        if entry is not None:
            lifetime = ttl if entry.status == 200 else self.not_found_ttl
            if time.time() - entry.response_time < lifetime:
                status = cache_status(
                    self.label,
                    fwd=forwarded,
                    fwd_status=None if entry.status == 200 else entry.status,
                    stored=True,
                    collapsed=True,
                )
                return Answer(entry, status, lifetime)
            if entry.status == 200:
                stale = entry
        remaining = await self.window_remaining()
        if remaining:
            return self._rate_limited(stale, ttl, remaining, forwarded=True).collapsed()
        failure = _known(await self.failures.recall(key))
        if failure is not None and failure.at >= since:
            return self._fallback(
                stale, ttl, forwarded, failure.kind, failure.status, failure.detail
            ).collapsed()
        return None

    async def _remembered_failure(self, key: str, stale: Entry | None, ttl: float) -> Answer | None:
        """The answer from this key's failure of the last ``failure_ttl`` seconds, if any."""
        if self.failure_ttl <= 0:
            return None
        failure = _known(await self.failures.recall(key))
        if failure is None:
            return None
        left = failure.until - time.time()
        if left <= 0:
            return None
        self.stats.count("remembered_failures")
        usable = self._usable(stale, ttl)
        if usable is not None:
            status = cache_status(self.label, hit=True, detail="failure-remembered")
            return Answer(usable, status, ttl, stale=True)
        retry_after = max(1, math.ceil(left))
        problem = ProblemError(
            _PROBLEM_STATUS[failure.kind],
            f"{_failure_message(failure.kind, failure.status, failure.detail)} This failure is "
            f"remembered: CoinGecko is asked again in {retry_after}s.",
            headers={
                "Cache-Status": cache_status(self.label, detail="failure-remembered"),
                "Cache-Control": "no-store",
                "Retry-After": str(retry_after),
            },
            retry_after=retry_after,
        )
        return Answer(None, problem.headers["Cache-Status"], problem=problem)

    async def _call(self, question: Question) -> UpstreamResult | None:
        """One call to CoinGecko, or None when the circuit refuses it."""
        async with self._slots:
            if not self.circuit.admit():
                return None
            self.stats.count("upstream_calls")
            try:
                result = await self.client.get(question.path, question.params, question.shape)
            except BaseException:
                self.circuit.abandoned()
                raise
        ok = isinstance(result, Fetched | Rejected)
        self.last_outcome = UpstreamOutcome(time.time(), ok, describe(result))
        if isinstance(result, Failed):
            self.stats.count("upstream_failures")
            cause = f": {result.cause}" if result.cause else ""
            self.circuit.failed(f"GET {question.path}: {describe(result)}{cause}")
        else:
            if isinstance(result, RateLimited):
                self.stats.count("upstream_429s")
            self.circuit.succeeded()
        return result

    async def _store(
        self, key: str, result: UpstreamResult, stale: Entry | None, ttl: float, forwarded: str
    ) -> Answer:
        now = time.time()
        if isinstance(result, Fetched):
            entry = Entry(200, (), result.body, 0.0, now)
            stored = await self.store.set(key, entry, ttl + self.stale_ttl if ttl else 0)
            # The label is read after the write: it names the cache that holds the entry.
            return Answer(entry, cache_status(self.label, fwd=forwarded, stored=stored), ttl)
        if isinstance(result, Rejected):
            entry = Entry(result.status, (), result.body, 0.0, now)
            stored = await self.store.set(key, entry, self.not_found_ttl)
            status = cache_status(
                self.label, fwd=forwarded, fwd_status=result.status, stored=stored
            )
            return Answer(entry, status, self.not_found_ttl)
        if isinstance(result, RateLimited):
            if not await self.window_remaining():
                log.warning(
                    "CoinGecko rate-limited the gateway: no call for %gs", result.retry_after
                )
            await self.failures.open_window(result.retry_after)
            return self._rate_limited(stale, ttl, result.retry_after, forwarded=True)
        # Remembered for failure_ttl (this process and, with Redis, the others); with Redis
        # also long enough for waiters on the fill lock in other processes to read it.
        keep_for = self.failure_ttl
        if self.shared:
            keep_for = max(keep_for, self.timeout + 5)
        if keep_for > 0:
            failure = OriginFailure(
                result.kind, result.status, result.detail, now, now + self.failure_ttl
            )
            await self.failures.remember(key, failure, keep_for)
        return self._fallback(stale, ttl, forwarded, result.kind, result.status, result.detail)

    def _usable(self, stale: Entry | None, ttl: float) -> Entry | None:
        if stale is None or stale.status != 200:
            return None
        if time.time() - stale.response_time >= ttl + self.stale_ttl:
            return None
        return stale

    def _fallback(
        self,
        stale: Entry | None,
        ttl: float,
        forwarded: str,
        kind: str,
        status: int | None,
        detail: str,
    ) -> Answer:
        # fwd-status when the upstream gave one; detail says what was wrong beyond a bad status.
        member = cache_status(
            self.label,
            fwd=forwarded,
            fwd_status=status or None,
            detail=None if kind == "status" else _CACHE_STATUS_DETAIL[kind],
        )
        usable = self._usable(stale, ttl)
        if usable is not None:
            return Answer(usable, member, ttl, stale=True)
        problem = ProblemError(
            _PROBLEM_STATUS[kind],
            _failure_message(kind, status, detail),
            headers={"Cache-Status": member, "Cache-Control": "no-store"},
        )
        return Answer(None, problem.headers["Cache-Status"], problem=problem)

    def _circuit_open(self, stale: Entry | None, ttl: float) -> Answer:
        """No call made: the circuit is open (or its one probe is under way)."""
        self.stats.count("circuit_refusals")
        usable = self._usable(stale, ttl)
        if usable is not None:
            status = cache_status(self.label, hit=True, detail="circuit-open")
            return Answer(usable, status, ttl, stale=True)
        retry_after = max(1, math.ceil(self.circuit.remaining()))
        member = cache_status(self.label, detail="circuit-open")
        problem = ProblemError(
            503,
            "CoinGecko is failing: after repeated failures the gateway makes no call to it "
            f"for a while; try again in {retry_after}s.",
            headers={
                "Retry-After": str(retry_after),
                "Cache-Status": member,
                "Cache-Control": "no-store",
            },
            retry_after=retry_after,
        )
        return Answer(None, member, problem=problem)

    def _rate_limited(
        self, stale: Entry | None, ttl: float, remaining: float, *, forwarded: bool
    ) -> Answer:
        usable = self._usable(stale, ttl)
        if forwarded:  # this fill got the 429 itself
            where = "stale" if stale is not None else "miss"
            member = cache_status(self.label, fwd=where, fwd_status=429)
        elif usable is not None:  # the open window kept this request from calling: a stale hit
            member = cache_status(self.label, hit=True, detail="rate-limited")
        else:
            member = cache_status(self.label, detail="rate-limited")
        if usable is not None:
            return Answer(usable, member, ttl, stale=True)
        retry_after = max(1, math.ceil(remaining))
        problem = ProblemError(
            503,
            "CoinGecko's rate limit was reached; no call is made to it until the window closes.",
            headers={
                "Retry-After": str(retry_after),
                "Cache-Status": member,
                "Cache-Control": "no-store",
            },
            retry_after=retry_after,
        )
        return Answer(None, member, problem=problem)


def _nothing(key: str) -> None:
    """The hit path's read of a shared store: nothing (get() reads it)."""
    return None


def _known(failure: OriginFailure | None) -> OriginFailure | None:
    """A failure this plugin recorded, or None (one of a kind it does not know: ignored)."""
    return failure if failure is not None and failure.kind in _PROBLEM_STATUS else None


def _failure_message(kind: str, status: int | None, detail: str) -> str:
    if kind == "lock":
        return f"The upstream call for this data took too long ({detail})."
    if kind == "timeout":
        return f"CoinGecko did not answer in time ({detail})."
    if kind == "connection":
        return f"CoinGecko could not be reached ({detail})."
    if kind == "status":
        return f"CoinGecko answered {status}."
    return f"CoinGecko's answer was unusable: {detail}."


def negative_problem(
    entry: Entry, headers: Mapping[str, str], *, transparent: bool = False
) -> ProblemError:
    """The problem for a stored 404/400/422 answer, with the upstream's own message as detail.

    ``transparent`` (a forwarded path): CoinGecko's own status, and its message also as
    ``error``, the member CoinGecko's clients read; the curated routes answer a 400 as 422.
    """
    message = _upstream_message(entry.body)
    status = entry.status if transparent else NEGATIVE.get(entry.status, 502)
    if status == 404:
        detail = f"CoinGecko has no such resource ({message})."
    else:
        detail = f"CoinGecko rejected the question ({message})."
    extra = {"error": message} if transparent else {}
    return ProblemError(status, detail, headers=dict(headers), upstream_error=message, **extra)


def _upstream_message(body: bytes) -> str:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "no detail"
    return error_message(data) or "no detail"
