"""Fresh, stale, coalesced, rate-limited: how one upstream question becomes one answer.

For a key, :meth:`CryptoProxy.get` serves a fresh entry (a hit) with no other work. Otherwise
exactly one upstream call is made for all concurrent askers: in this process a single task per
key fills it while the others await that task; across processes sharing Redis that task takes
the key's Redis lock, and a process that had to wait re-reads the cache (or the failure the
holder recorded) instead of calling again. While a 429's window is open no call is made at all.
When the call fails, a stale entry within ``stale_ttl`` is served instead of the error.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson

from gateway import ProblemError
from gateway_plugins.crypto.cache import Entry, LockTimeout, ResponseCache
from gateway_plugins.crypto.coingecko import (
    CoinGeckoClient,
    Fetched,
    RateLimited,
    Rejected,
    Shape,
    UpstreamResult,
    describe,
)
from gateway_plugins.crypto.stats import CryptoStats

log = logging.getLogger("gateway_plugins.crypto.proxy")

# Statuses whose entries are negative answers: remembered for not_found_ttl, never served stale.
NEGATIVE = {404: 404, 400: 422}
# Status 0 in a recorded failure: the upstream gave no status (timeout, connection refused).
NO_STATUS = 0
_PROBLEM_STATUS = {"timeout": 504, "lock": 504, "connection": 502, "status": 502, "invalid": 502}
_CACHE_STATUS_DETAIL = {
    "timeout": "timeout",
    "lock": "lock-timeout",
    "connection": "connection-failed",
    "status": "bad-status",
    "invalid": "invalid-response",
}


@dataclass(frozen=True, slots=True)
class Question:
    """One normalised upstream request: its cache key, path, query and the JSON shape expected."""

    key: str
    path: str
    params: Mapping[str, str]
    shape: Shape


@dataclass(slots=True)
class Answer:
    """What to tell the client: an entry to serve (fresh, stale or negative) or a problem.

    ``cache_status`` is the RFC 9211 ``Cache-Status`` member without ``ttl``, which is added
    at render time from ``entry.stored_at`` and ``lifetime``.
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
        cache: ResponseCache,
        client: CoinGeckoClient,
        stats: CryptoStats,
        *,
        ttl: float,
        stale_ttl: float,
        not_found_ttl: float,
        timeout: float,
    ) -> None:
        self.cache = cache
        self.client = client
        self.stats = stats
        self.ttl = ttl
        self.stale_ttl = stale_ttl
        self.not_found_ttl = not_found_ttl
        self.timeout = timeout
        self.last_outcome: UpstreamOutcome | None = None
        self._filling: dict[str, asyncio.Task[Answer]] = {}

    def hit(self, key: str, now: float) -> Answer | None:
        """The hit for ``key`` at ``now`` when a memory:// cache holds a fresh entry, else None
        (then ask :meth:`get`, which looks again).

        The hot path of memory://: :meth:`get` without its miss handling. A shared cache
        always answers None here.
        """
        cache = self.cache
        if cache.shared:
            return None
        # The memory store itself, without a coroutine (ResponseCache.get has two).
        entry = cache.local.peek(key)
        if not isinstance(entry, Entry):
            return None
        lifetime = self.ttl if entry.status == 200 else self.not_found_ttl
        if now - entry.stored_at >= lifetime:
            return None
        self.stats.hit()
        return Answer(entry, cache.hit_label, lifetime)

    async def get(self, question: Question) -> Answer:
        """The answer to ``question``; never raises for an upstream or cache problem."""
        cache = self.cache
        entry = await cache.get(question.key)
        if entry is not None:
            lifetime = self.ttl if entry.status == 200 else self.not_found_ttl
            if time.time() - entry.stored_at < lifetime:
                self.stats.hit()
                return Answer(entry, self.cache.hit_label, lifetime)
            if entry.status != 200:
                entry = None  # an expired negative answer is never served
        self.stats.count("misses")
        task = self._filling.get(question.key)
        if task is not None:
            self.stats.count("coalesced_waits")
            answer = (await asyncio.shield(task)).collapsed()
        else:
            task = asyncio.create_task(
                self._fill(question, entry), name=f"crypto fill {question.key}"
            )
            self._filling[question.key] = task
            task.add_done_callback(functools.partial(self._filled, question.key))
            # Shielded: a client that disconnects must not cancel the call others wait for.
            answer = await asyncio.shield(task)
        if answer.stale:
            self.stats.count("stale_serves")
        return answer

    def _filled(self, key: str, task: asyncio.Task[Answer]) -> None:
        self._filling.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            # Its awaiters got it as a 500 already; this only marks it retrieved when none did.
            log.debug("filling %s failed", key, exc_info=task.exception())

    async def close(self) -> None:
        """Cancel fills still running (at shutdown, before the session and cache close)."""
        tasks = list(self._filling.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def window_remaining(self) -> float:
        """Seconds left in the open rate-limit window, 0 when none is open."""
        until = await self.cache.window_until()
        return max(0.0, until - time.time()) if until is not None else 0.0

    async def _fill(self, question: Question, stale: Entry | None) -> Answer:
        forwarded = "fwd=stale" if stale is not None else "fwd=miss"
        started = time.time()
        remaining = await self.window_remaining()
        if remaining:
            return self._rate_limited(stale, remaining, forwarded=False)
        try:
            async with self.cache.fill_lock(
                question.key, hold_for=self.timeout + 5, wait_for=self.timeout + 2
            ) as waited:
                if waited:
                    self.stats.count("coalesced_waits")
                    settled = await self._settled_meanwhile(question.key, stale, started)
                    if settled is not None:
                        return settled
                elif self.cache.shared and not self.cache.down:
                    # Another process may have filled the key and released the lock between
                    # this request's miss and its taking the lock: look again before calling.
                    filled = await self._filled_meanwhile(question.key)
                    if filled is not None:
                        return filled
                result = await self._call(question)
                return await self._store(question.key, result, stale, forwarded)
        except LockTimeout as exc:
            return self._fallback(stale, forwarded, "lock", None, str(exc))

    async def _filled_meanwhile(self, key: str) -> Answer | None:
        entry = await self.cache.get(key)
        if entry is None:
            return None
        lifetime = self.ttl if entry.status == 200 else self.not_found_ttl
        if time.time() - entry.stored_at >= lifetime:
            return None
        return Answer(entry, f"{self.cache.label}; hit", lifetime)

    async def _settled_meanwhile(
        self, key: str, stale: Entry | None, since: float
    ) -> Answer | None:
        """After waiting for another process's fill: its result, if it left one."""
        entry = await self.cache.get(key)
        forwarded = "fwd=stale" if stale is not None else "fwd=miss"
        if entry is not None:
            lifetime = self.ttl if entry.status == 200 else self.not_found_ttl
            if time.time() - entry.stored_at < lifetime:
                got = "" if entry.status == 200 else f"fwd-status={entry.status}; "
                label = self.cache.label
                return Answer(entry, f"{label}; {forwarded}; {got}stored; collapsed", lifetime)
            if entry.status == 200:
                stale = entry
        remaining = await self.window_remaining()
        if remaining:
            return self._rate_limited(stale, remaining, forwarded=True).collapsed()
        failure = await self.cache.get_failure(key)
        if failure is not None and failure.stored_at >= since:
            kind, _, detail = failure.body.decode(errors="replace").partition(":")
            if kind in _PROBLEM_STATUS:  # else written by something else: ignore it
                status = failure.status or None
                return self._fallback(stale, forwarded, kind, status, detail).collapsed()
        return None

    async def _call(self, question: Question) -> UpstreamResult:
        self.stats.count("upstream_calls")
        result = await self.client.get(question.path, question.params, question.shape)
        ok = isinstance(result, Fetched | Rejected)
        self.last_outcome = UpstreamOutcome(time.time(), ok, describe(result))
        if isinstance(result, RateLimited):
            self.stats.count("upstream_429s")
        elif not ok:
            self.stats.count("upstream_failures")
        return result

    async def _store(
        self, key: str, result: UpstreamResult, stale: Entry | None, forwarded: str
    ) -> Answer:
        now = time.time()
        if isinstance(result, Fetched):
            entry = Entry(200, result.body, now)
            stored = await self.cache.set(key, entry, self.ttl + self.stale_ttl)
            # The label is read after the write: it names the cache that holds the entry.
            cache_status = f"{self.cache.label}; {forwarded}" + ("; stored" if stored else "")
            return Answer(entry, cache_status, self.ttl)
        if isinstance(result, Rejected):
            entry = Entry(result.status, result.body, now)
            stored = await self.cache.set(key, entry, self.not_found_ttl)
            cache_status = f"{self.cache.label}; {forwarded}; fwd-status={result.status}" + (
                "; stored" if stored else ""
            )
            return Answer(entry, cache_status, self.not_found_ttl)
        if isinstance(result, RateLimited):
            await self.cache.open_window(result.retry_after)
            return self._rate_limited(stale, result.retry_after, forwarded=True)
        if self.cache.shared and not self.cache.down:
            # Waiters in other processes read this instead of calling again.
            detail = f"{result.kind}:{result.detail}".encode()
            record = Entry(result.status or NO_STATUS, detail, now)
            await self.cache.set_failure(key, record, self.timeout + 5)
        return self._fallback(stale, forwarded, result.kind, result.status, result.detail)

    def _usable(self, stale: Entry | None) -> Entry | None:
        if stale is None or stale.status != 200:
            return None
        if time.time() - stale.stored_at >= self.ttl + self.stale_ttl:
            return None
        return stale

    def _fallback(
        self, stale: Entry | None, forwarded: str, kind: str, status: int | None, detail: str
    ) -> Answer:
        # fwd-status when the upstream gave one; detail says what was wrong beyond a bad status.
        reasons = [f"fwd-status={status}"] if status else []
        if kind != "status":
            reasons.append(f"detail={_CACHE_STATUS_DETAIL[kind]}")
        reason = "; ".join(reasons)
        usable = self._usable(stale)
        if usable is not None:
            label = self.cache.label
            return Answer(usable, f"{label}; {forwarded}; {reason}", self.ttl, stale=True)
        problem_status = _PROBLEM_STATUS[kind]
        if kind == "lock":
            message = f"The upstream call for this data took too long ({detail})."
        elif kind == "timeout":
            message = f"CoinGecko did not answer in time ({detail})."
        elif kind == "connection":
            message = f"CoinGecko could not be reached ({detail})."
        elif kind == "status":
            message = f"CoinGecko answered {status}."
        else:
            message = f"CoinGecko's answer was unusable: {detail}."
        problem = ProblemError(
            problem_status,
            message,
            headers={
                "Cache-Status": f"{self.cache.label}; {forwarded}; {reason}",
                "Cache-Control": "no-store",
            },
        )
        return Answer(None, problem.headers["Cache-Status"], problem=problem)

    def _rate_limited(self, stale: Entry | None, remaining: float, *, forwarded: bool) -> Answer:
        usable = self._usable(stale)
        if forwarded:  # this fill got the 429 itself
            where = "fwd=stale" if stale is not None else "fwd=miss"
            cache_status = f"{self.cache.label}; {where}; fwd-status=429"
        elif usable is not None:  # the open window kept this request from calling: a stale hit
            cache_status = f"{self.cache.label}; hit; detail=rate-limited"
        else:
            cache_status = f"{self.cache.label}; detail=rate-limited"
        if usable is not None:
            return Answer(usable, cache_status, self.ttl, stale=True)
        retry_after = max(1, math.ceil(remaining))
        problem = ProblemError(
            503,
            "CoinGecko's rate limit was reached; no call is made to it until the window closes.",
            headers={
                "Retry-After": str(retry_after),
                "Cache-Status": cache_status,
                "Cache-Control": "no-store",
            },
            retry_after=retry_after,
        )
        return Answer(None, cache_status, problem=problem)


def negative_problem(entry: Entry, headers: dict[str, str]) -> ProblemError:
    """The problem for a stored 404/400 answer, with the upstream's own message as detail."""
    message = _upstream_message(entry.body)
    status = NEGATIVE.get(entry.status, 502)
    if status == 404:
        detail = f"CoinGecko has no such resource ({message})."
    else:
        detail = f"CoinGecko rejected the question ({message})."
    return ProblemError(status, detail, headers=headers, upstream_error=message)


def _upstream_message(body: bytes) -> str:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "no detail"
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"]
    return "no detail"
