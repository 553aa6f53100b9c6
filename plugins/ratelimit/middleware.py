"""The rate-limiting middleware: which policy and caller a request counts for, and the answer.

Admitted answers (streamed ones too: the fields go through ``gateway.response_fields``) carry
the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers):
``RateLimit-Policy: "60/minute";q=60;w=60`` and ``RateLimit: "60/minute";r=59;t=60``. A refusal
is 429 problem+json with ``Retry-After``. A CORS preflight the cors plugin answers is never
counted (cors runs first); any other ``OPTIONS`` is counted like any request (issue 34).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from functools import lru_cache
from time import time

from aiohttp import web
from multidict import istr

from gateway import (
    Handler,
    Identity,
    Middleware,
    Priority,
    ProblemError,
    address_bucket,
    client_address,
    identity_of,
    request_scope,
    response_fields,
    scopes_named,
)
from gateway_plugins.ratelimit.decisions import PolicyDecisions
from gateway_plugins.ratelimit.limiter import (
    KEY_CACHE,
    CompiledRates,
    Rate,
    RequestCounter,
    Verdict,
    Window,
)
from gateway_plugins.ratelimit.settings import DEFAULT_EXEMPT, RateLimitSettings

# Header names as istr, as aiohttp.hdrs has its own: a case-insensitive multidict takes an
# istr's folded form as it is, where a str is folded again on every request.
RATELIMIT_POLICY = istr("RateLimit-Policy")
RATELIMIT = istr("RateLimit")


class RateLimit:
    def __init__(
        self,
        settings: RateLimitSettings,
        counter: RequestCounter,
        scopes: Mapping[str, str],
        *,
        ipv6_prefix: int = 64,
        instance: str = "ratelimit",
    ) -> None:
        self.counter = counter
        # IPv6 callers by their network, IPv4-mapped ones as IPv4 ([gateway] ipv6_prefix).
        self.ipv6_prefix = ipv6_prefix
        self.deny_when_down = settings.on_storage_error == "deny"
        self.retry = settings.storage_retry
        self.default = CompiledRates.of("default", settings.limits, settings.by)
        named = scopes_named(settings.overrides, scopes, "overrides")
        # By scope (a plugin's name, or an own path), whichever name the operator used.
        self.overrides = {
            named[name]: CompiledRates.of(named[name], policy.limits, policy.by)
            for name, policy in settings.overrides.items()
        }
        # Fixed for the counter's storage and strategy; None for Redis (RequestCounter.count).
        self.count_rate = counter.count_rate
        # The usual configuration, one rate counted in memory for every scope alike
        # (limit_one_rate): its parts bound once, so that the count is called without a frame
        # of ours: the table's count, the rate's amount, and each caller's storage key
        # (limits' own key_for) made once per client address or identity.
        single = self.default.single
        self.one_rate = counter.count_rate is not None and single is not None and not self.overrides
        self.by_identity = self.default.by == "identity"
        if self.one_rate and single is not None:
            self.count_key, self.amount = counter.one_rate_parts(single)
            key_for, name, prefix = single.item.key_for, self.default.name, ipv6_prefix

            @lru_cache(maxsize=KEY_CACHE)
            def key_of_address(address: str) -> str:
                return key_for(name, address_caller(address, prefix))

            def key_of_identity(identity: Identity) -> str:
                return key_for(name, identity_caller(identity))

            self.key_of_address = key_of_address
            self.key_of_identity = key_of_identity
        self.exempt = exempt_scopes(settings, scopes)
        # Each decision counted where it is made, by policy (decisions.py); the usual one,
        # the default policy's admission, bound here.
        shared = counter.count_rate is None
        self.decisions = {
            policy.name: PolicyDecisions(instance, policy.name, shared)
            for policy in (self.default, *self.overrides.values())
        }
        self.count_admitted = self.decisions[self.default.name].admitted
        self.count_limited = self.decisions[self.default.name].limited
        # limit_one_rate's fields: the start of each, fixed by the one rate.
        self.policy_field = self.default.policy_field
        self.field_start = single.field_start if single is not None else ""

    async def limit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # The request's policy: an override for its scope, if any are configured.
        policy = (
            self.overrides.get(request_scope(request) or "", self.default)
            if self.overrides
            else self.default
        )
        identity = identity_of(request) if policy.by == "identity" else None
        caller = (
            identity_caller(identity)
            if identity is not None
            else address_caller(client_address(request), self.ipv6_prefix)
        )
        count_rate = self.count_rate
        rate = policy.single
        if count_rate is not None and rate is not None:
            # The usual case, one rate counted in memory: no coroutine for what never waits,
            # and no verdict objects for an admitted request.
            admitted, remaining, reset = count_rate(rate, policy.name, caller)
            if admitted:
                self.decisions[policy.name].admitted()
                fields = response_fields(request)  # as _with_fields, inline on the hot path
                fields[RATELIMIT_POLICY] = policy.policy_field
                fields[RATELIMIT] = f"{rate.field_start}{remaining};t={reset}"
                return await handler(request)
            verdict = Verdict(False, (Window(rate, remaining, reset),))
        elif count_rate is not None:
            verdict = self.counter.count_in_memory(policy, caller)
        else:
            try:
                verdict = await self.counter.count(policy, caller)
            except ProblemError:  # every connection to the store stayed busy: 503
                self.decisions[policy.name].store_busy_refused()
                raise
        decisions = self.decisions[policy.name]
        if verdict.storage_down:
            if self.deny_when_down:
                decisions.store_down_refused()
                raise ProblemError(
                    503,
                    "The rate-limit store is unavailable, and this gateway refuses requests "
                    'it cannot count (on_storage_error = "deny").',
                    headers={"Retry-After": str(round(self.retry))},
                )
            decisions.store_down_admitted()
            return await handler(request)
        remaining_field = ", ".join(
            _window_field(w.rate, w.remaining, w.reset) for w in verdict.windows
        )
        if not verdict.admitted:
            decisions.limited()
            exhausted = verdict.exhausted or verdict.windows[0]
            raise _refusal(policy, exhausted.rate, remaining_field, exhausted.reset, identity)
        decisions.admitted()
        _with_fields(request, policy, remaining_field)
        return await handler(request)

    def limit_one_rate(
        self, request: web.Request, handler: Handler
    ) -> Awaitable[web.StreamResponse]:
        """:meth:`limit` for one rate counted in memory without overrides: the same answers,
        with what the configuration fixes decided once (about half the Python work of a
        counted request, bench/README.md).

        A plain function returning the handler's awaitable, as auth's middlewares are: an
        admitted request costs no coroutine of its own, and a refusal raised when called is
        answered as a coroutine's would be (the gateway calls every middleware inside the
        try that answers it)."""
        identity = identity_of(request) if self.by_identity else None
        key = (
            self.key_of_address(client_address(request))
            if identity is None
            else self.key_of_identity(identity)
        )
        admitted, remaining, reset = self.count_key(key, self.amount, time())
        if not admitted:
            self.count_limited()
            policy = self.default
            rate = policy.single
            assert rate is not None
            raise _refusal(policy, rate, _window_field(rate, remaining, reset), reset, identity)
        self.count_admitted()
        fields = response_fields(request)
        fields[RATELIMIT_POLICY] = self.policy_field
        fields[RATELIMIT] = f"{self.field_start}{remaining};t={reset}"
        return handler(request)

    def middlewares(self) -> list[Middleware]:
        chosen = self.limit_one_rate if self.one_rate else self.limit
        return [
            Middleware(
                "limit",
                chosen,
                Priority.RATE_LIMIT,
                default_skip=self.exempt,
                sees_answers=False,  # it only passes the answer on
            )
        ]


def identity_caller(identity: Identity) -> str:
    """The caller an identity counts as: per provider and name, so the key "ci" and a JWT
    whose subject is "ci" are two callers (the provider's length first: no provider and name
    can pass for another pair)."""
    return f"id:{len(identity.provider)}:{identity.provider}:{identity.name}"


def address_caller(address: str, ipv6_prefix: int) -> str:
    """The caller a client address counts as (an IPv6 one by its network: address_bucket)."""
    return f"ip:{address_bucket(address, ipv6_prefix)}"


def exempt_scopes(settings: RateLimitSettings, scopes: Mapping[str, str]) -> tuple[str, ...]:
    """The scopes the limit stays off (the host leaves them out while apply_to is unset).

    A scope the operator gave a policy in ``overrides`` is limited: naming it there says so.
    A name of the operator's own that matches nothing mounted is an error, as in overrides;
    a default one (health, /metrics) may simply not be mounted.
    """
    own = [name for name in settings.exempt if name not in DEFAULT_EXEMPT]
    scopes_named(own, scopes, "exempt")
    limited = {scopes[name] for name in settings.overrides if name in scopes}
    return tuple(
        name for name in settings.exempt if name not in scopes or scopes[name] not in limited
    )


def _refusal(
    policy: CompiledRates, rate: Rate, remaining_field: str, reset: int, identity: Identity | None
) -> ProblemError:
    """The 429 for a request ``rate`` (the window with room again last) refuses: what both
    middlewares raise, with the policy's fields and ``Retry-After``."""
    retry = max(1, reset)
    whom = f"the key {identity.name!r}" if identity is not None else "this client address"
    return ProblemError(
        429,
        f"Rate limit {rate.label} reached for {whom}; retry in {retry} s.",
        headers={
            "RateLimit-Policy": policy.policy_field,
            "RateLimit": remaining_field,
            "Retry-After": str(retry),
        },
    )


def _window_field(rate: Rate, remaining: int, reset: int) -> str:
    """One window's item of the ``RateLimit`` field: ``"60/minute";r=59;t=60``."""
    return f"{rate.field_start}{remaining};t={reset}"


def _with_fields(request: web.Request, policy: CompiledRates, remaining: str) -> None:
    """The RateLimit fields on ``request``'s answer, whoever prepares it (a handler that
    streams, too): gateway.response_fields."""
    fields = response_fields(request)
    fields[RATELIMIT_POLICY] = policy.policy_field
    fields[RATELIMIT] = remaining
