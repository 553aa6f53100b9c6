"""What the auth plugin decided, for ``/metrics``: ``gateway_auth_decisions_total``.

Labelled by ``instance``, ``result`` (``allowed``, ``denied``) and ``reason``, all from fixed
vocabularies: never a key, a name or an address.

- allowed, ``public``: the rules make the route public and no credential was refused.
- allowed, ``authenticated``: an identity (an API key, a dashboard session, another
  provider's token) with the scope the route needs.
- denied, ``missing_credential``: a route that needs a scope, and no credential (401, or a
  browser sent to the dashboard's sign-in page).
- denied, ``invalid_credential``: a wrong API key, or a bearer credential no provider
  accepted (401; a wrong key posted to the sign-in page too).
- denied, ``insufficient_scope``: an identity without the scope the route needs (403).
- denied, ``locked_out``: the address used up ``max_failures`` (429), whatever it sent.

Each request is one decision, counted where it is made with a :class:`gateway.Tally` (one
call into C, no lock): a request with a right key is counted once, by the rules. The
dashboard's sign-in pages are not decisions; a key posted to them is counted when it is
wrong or locked out.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter

from gateway import Tally

DECISIONS = Counter(
    "gateway_auth_decisions_total",
    "Requests the auth plugin let through or refused, by instance, result (allowed, denied) "
    "and reason.",
    ["instance", "result", "reason"],
)


class Decisions:
    """One instance's counts: call the attribute of a decision to count it."""

    def __init__(self, instance: str) -> None:
        def tick(result: str, reason: str) -> Callable[[], object]:
            return Tally(DECISIONS, instance, result, reason).tick

        self.public = tick("allowed", "public")
        self.authenticated = tick("allowed", "authenticated")
        self.missing_credential = tick("denied", "missing_credential")
        self.invalid_credential = tick("denied", "invalid_credential")
        self.insufficient_scope = tick("denied", "insufficient_scope")
        self.locked_out = tick("denied", "locked_out")
