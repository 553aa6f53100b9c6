"""The two middlewares: who is calling (API keys), then may they (the rules).

Authentication runs at ``Priority.AUTHENTICATION``: a key sent as ``Authorization: Bearer`` or
``X-API-Key`` becomes ``request[gateway.IDENTITY]``; a wrong key is a 401 wherever it is sent.
Authorization runs later, at ``Priority.AUTHORIZATION``, so an identity another plugin
established in between (a JWT, an mTLS header) is judged by the same rules.

Other identity providers share ``Authorization: Bearer`` with the API keys, before or after
this plugin in the chain. What the key check judges (README.md, "Identity providers side by
side"):

- ``X-API-Key``, and a bearer credential in the form of the keys ``gateway auth new-key``
  makes (``gw_...``): always, whatever ran before. A wrong one is 401 and counts towards
  ``max_failures``. A right one becomes the identity unless an earlier provider set one.
- Any other bearer credential (a JWT, another provider's opaque token) is an API key only if
  its hash is configured (a key made by other means). Otherwise it is left to the other
  providers, and the rules, which run after every provider, refuse with 401 (counted, as a
  wrong key is) a request that still has no identity: a credential nobody accepted never
  passes as anonymous.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping

from aiohttp import hdrs, web
from multidict import istr

from gateway import (
    IDENTITY,
    Handler,
    Identity,
    Middleware,
    Priority,
    ProblemError,
    address_bucket,
    client_address,
    identity_of,
)
from gateway_plugins.auth.decisions import Decisions
from gateway_plugins.auth.failures import FailureCounts, Locked, Reservation
from gateway_plugins.auth.keyring import KEY_PREFIX, KeyRing
from gateway_plugins.auth.rules import RuleBook
from gateway_plugins.auth.session import Sessions, sign_in_redirect, wants_sign_in
from gateway_plugins.auth.settings import PUBLIC, AuthSettings

log = logging.getLogger("gateway_plugins.auth")

PROVIDER = "auth:api-key"
# As aiohttp.hdrs names headers: an istr is not case-folded again on every lookup.
X_API_KEY = istr("X-API-Key")


class Guard:
    def __init__(
        self,
        settings: AuthSettings,
        failures: FailureCounts,
        scopes: Mapping[str, str] | None = None,
        *,
        ipv6_prefix: int = 64,
        instance: str = "auth",
    ) -> None:
        self.keys = KeyRing(settings.keys, PROVIDER)
        # Wrong keys are counted per IPv6 network, IPv4-mapped ones as IPv4 ([gateway]
        # ipv6_prefix): one host cannot rotate through its /64 to get more guesses.
        self.ipv6_prefix = ipv6_prefix
        self.rules = RuleBook(settings.rules, scopes)
        self.realm = settings.realm
        self.read_bearer = settings.identity_header in ("authorization", "both")
        self.read_header = settings.identity_header in ("x-api-key", "both")
        # Wrong keys per client address (moving windows), in this process's memory or in
        # Redis shared by every worker (failures.py); reserved before a key is checked.
        self.failures = failures
        self.lockout = settings.lockout
        # The dashboard's sign-in (plugins/auth/session.py).
        self.sessions = Sessions(self.keys, settings.session_lifetime)
        # Each decision counted where it is made (decisions.py), as a C call: the two that
        # most requests take bound here, one attribute away.
        self.decisions = Decisions(instance)
        self.allowed_public = self.decisions.public
        self.allowed_authenticated = self.decisions.authenticated

    def presented(self, request: web.Request) -> tuple[str, bool] | None:
        """The credential sent, and whether it is plainly an API key (sent as ``X-API-Key``, or
        shaped like the keys this plugin makes); ``None`` when none is sent."""
        if self.read_header:
            key = request.headers.get(X_API_KEY)
            if key:
                return key.strip(), True
        if self.read_bearer:
            credential = self.bearer(request)
            if credential is not None:
                return credential, credential.startswith(KEY_PREFIX)
        return None

    def bearer(self, request: web.Request) -> str | None:
        """The credential of ``Authorization: Bearer <credential>``, if one is sent."""
        value = request.headers.get(hdrs.AUTHORIZATION)
        if not value:  # most requests: public reads send none
            return None
        scheme, _, credential = value.partition(" ")
        credential = credential.strip()
        return credential if scheme.lower() == "bearer" and credential else None

    def challenge(self, error: str | None = None) -> dict[str, str]:
        extra = f', error="{error}"' if error else ""
        return {"WWW-Authenticate": f'Bearer realm="{self.realm}"{extra}'}

    # Both middlewares are plain functions returning the next handler's awaitable, as
    # gateway.middleware.compose's own run() is: a request they let through costs no coroutine
    # of their own. Their errors, raised when called, are answered as a coroutine's are: the
    # gateway calls every middleware inside the try that answers it.

    def authenticate(self, request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        # Without a key (most requests) there is nothing to check. A CORS preflight is not
        # let through here: one the cors plugin answers never gets here (it runs first), and
        # one that gets here is a request like any other (issue 34: anyone can send that
        # shape, and cors may be off, narrowed or moved inside auth).
        headers = request.headers
        if (not self.read_header or X_API_KEY not in headers) and (
            not self.read_bearer or hdrs.AUTHORIZATION not in headers
        ):
            return handler(request)
        presented = self.presented(request)
        if presented is None:
            return handler(request)
        key, plainly_a_key = presented
        if not plainly_a_key and identity_of(request) is not None:
            # Another provider's credential, and an earlier provider has identified the
            # caller: not judged again.
            return handler(request)
        return self._check_key(request, handler, key, plainly_a_key)

    async def _check_key(
        self, request: web.Request, handler: Handler, key: str, plainly_a_key: bool
    ) -> web.StreamResponse:
        """A presented key, checked under the wrong-key guard (``max_failures``, see
        failures.py). A credential that is not plainly a key and matches none goes on
        unjudged (another provider's, or refused by :meth:`authorize`).

        ``lockout = "address"``: a slot is reserved before the key is checked, so at most
        ``max_failures`` keys from one address are ever checked in a window, concurrent or
        not, and a right key is refused too while the address is locked out (the answer says
        nothing of whether a guess was right); a right key gives its slot back.
        ``lockout = "wrong-keys"``: the key is checked first; a right one always passes, a
        wrong one takes a slot (429 once there is none)."""
        address = address_bucket(client_address(request), self.ipv6_prefix)
        if not plainly_a_key or self.lockout == "wrong-keys":
            identity = self.keys.identify(key)
            if identity is None:
                if not plainly_a_key:
                    return await handler(request)
                await self.failures_counted(request, address, "wrong API key")
                raise self.wrong_key()
            if self.lockout == "address":
                await self.failures.release(await self.reserve(address))
        else:
            reservation = await self.reserve(address)
            identity = self.keys.identify(key)
            if identity is None:  # the slot stays taken: a failure
                log.info("wrong API key from %s: %s %s", address, request.method, request.path)
                raise self.wrong_key()
            await self.failures.release(reservation)
        if identity_of(request) is None:  # an earlier provider's identity stands
            request[IDENTITY] = identity
        return await handler(request)

    def wrong_key(self) -> ProblemError:
        """The 401 for a wrong API key (counted as a decision)."""
        self.decisions.invalid_credential()
        return ProblemError(
            401,
            "The API key sent is not valid. Send a valid key as Authorization: Bearer <key> "
            "or X-API-Key: <key>, or send none for public routes.",
            headers=self.challenge("invalid_token"),
        )

    async def reserve(self, address: str) -> Reservation:
        """A slot under ``max_failures`` for ``address``, or 429 while it has none: a right
        key is refused too, so the answer says nothing of whether a guess was right."""
        try:
            return await self.failures.reserve(address)
        except Locked as locked:
            self.decisions.locked_out()
            raise ProblemError(
                429,
                "Too many requests with a wrong API key from this address; wait before "
                "trying again.",
                headers={"Retry-After": str(locked.retry)},
            ) from None

    async def failures_counted(self, request: web.Request, address: str, what: str) -> None:
        """Count a failure now known (429 when the address has no slot left), and log it."""
        await self.reserve(address)
        log.info("%s from %s: %s %s", what, address, request.method, request.path)

    async def _refuse_unaccepted(self, request: web.Request) -> web.StreamResponse:
        """A bearer credential that no provider accepted: a wrong key of a kind this plugin
        does not make, or a token for a provider that is not on this route. Refused and
        counted as a wrong key is, whatever the route needs."""
        address = address_bucket(client_address(request), self.ipv6_prefix)
        await self.failures_counted(request, address, "bearer credential no provider accepted")
        self.decisions.invalid_credential()
        raise ProblemError(
            401,
            "The bearer credential sent is not valid: it is not one of this gateway's API keys, "
            "and no identity provider accepted it. Send a valid key or token, or send none for "
            "public routes.",
            headers=self.challenge("invalid_token"),
        )

    def authorize(self, request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        required = self.rules.required(request)
        if required == PUBLIC:
            if self.read_bearer and hdrs.AUTHORIZATION in request.headers:
                return self._unless_unaccepted(request, handler)
            self.allowed_public()
            return handler(request)
        identity = identity_of(request)
        if identity is None:
            # Only where a request would be refused: a browser's dashboard session (safe
            # methods under /_gateway), its sign-in pages, or the way to them.
            identity = self.sessions.identify(request)
            if identity is not None:
                request[IDENTITY] = identity
                return self.authorize(request, handler)
            if self.sessions.handles(request):
                return self.sessions.answer(request, required, self._check_posted_key)
            if wants_sign_in(request):
                self.decisions.missing_credential()
                return sign_in_redirect()
            if self.read_bearer and self.bearer(request) is not None:
                return self._refuse_unaccepted(request)
            self.decisions.missing_credential()
            raise ProblemError(
                401,
                f"{request.method} {request.path} needs an API key with scope {required!r}. "
                "Send it as Authorization: Bearer <key> or X-API-Key: <key>.",
                headers=self.challenge(),
                required_scope=required,
            )
        if not identity.allows(required):
            self.decisions.insufficient_scope()
            raise ProblemError(
                403,
                f"The caller {identity.name!r} lacks scope {required!r}, which {request.method} "
                f"{request.path} needs.",
                required_scope=required,
            )
        self.allowed_authenticated()
        return handler(request)

    async def _check_posted_key(self, request: web.Request, key: str) -> Identity | None:
        """A key posted to the sign-in form, judged under the wrong-key guard as one sent in a
        header (:meth:`_check_key`): a slot reserved first (429 while the address is locked
        out), kept when the key is wrong, given back when it is right."""
        address = address_bucket(client_address(request), self.ipv6_prefix)
        if self.lockout == "wrong-keys":
            identity = self.keys.identify(key)
            if identity is None:
                await self.failures_counted(
                    request, address, "wrong API key at the dashboard sign-in"
                )
                self.decisions.invalid_credential()
            return identity
        reservation = await self.reserve(address)
        identity = self.keys.identify(key)
        if identity is None:  # the slot stays taken: a failure
            log.info("wrong API key at the dashboard sign-in from %s", address)
            self.decisions.invalid_credential()
            return None
        await self.failures.release(reservation)
        return identity

    def _unless_unaccepted(
        self, request: web.Request, handler: Handler
    ) -> Awaitable[web.StreamResponse]:
        """A public request that sent ``Authorization``: refused if it is a bearer credential
        no provider accepted (every provider has run by now)."""
        if identity_of(request) is None and self.bearer(request) is not None:
            return self._refuse_unaccepted(request)
        self.allowed_public()
        return handler(request)

    def middlewares(self) -> list[Middleware]:
        return [
            # Neither adds response fields (refusals are problems with their own headers) nor
            # looks at the answer it passes on.
            Middleware(
                "api-key",
                self.authenticate,
                Priority.AUTHENTICATION,
                adds_fields=False,
                sees_answers=False,
            ),
            Middleware(
                "rules",
                self.authorize,
                Priority.AUTHORIZATION,
                adds_fields=False,
                sees_answers=False,
            ),
        ]
