"""Signing in to the dashboard from a browser, which cannot send an API key in a header.

``GET /_gateway/login`` is a form; posting an admin key to it (never in a URL, so never in an
access log or a browser's history) sets a session cookie and goes to the dashboard. The cookie:

- holds the key's *name* and an expiry, signed with HMAC-SHA256 under the gateway's session
  secret (:func:`gateway.session_secret`, shared by every worker) and the key's stored hash, so
  a key removed or replaced in plugins.toml ends its sessions at the next reload;
- is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends it),
  ``Secure`` when the request came over HTTPS (directly, or as a trusted proxy says), and
  ``Path=/_gateway`` (sent nowhere else);
- is accepted for ``GET`` and ``HEAD`` under ``/_gateway`` only: every state-changing request
  still needs a key in a header, so a forged cross-site request gains nothing from it.

Signing in and out are POSTs whose ``Sec-Fetch-Site`` (or, from a client that sends none,
``Origin``) must say this gateway's own pages sent them: another site cannot sign a browser in to an
account of its choosing (login CSRF) or out. A wrong key counts towards ``max_failures`` as a
wrong key in a header does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import time
from collections.abc import Awaitable, Callable
from typing import NoReturn
from urllib.parse import parse_qs

from aiohttp import hdrs, web

from gateway import Identity, ProblemError, read_body, session_secret
from gateway_plugins.auth.keyring import KeyRing

log = logging.getLogger("gateway_plugins.auth.session")

COOKIE = "gateway_session"
PATH = "/_gateway"
LOGIN = "/_gateway/login"
LOGOUT = "/_gateway/logout"
DASHBOARD = "/_gateway/"
PROVIDER = "auth:session"
SAFE = frozenset({"GET", "HEAD"})
# A form holding one key: anything larger is not one.
FORM_LIMIT = 4096

# The sign-in page runs no script; its only form posts to itself.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: gateway dashboard</title>
<link rel="icon" href="data:,">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 4rem auto;
  padding: 0 1rem; color: #1b1f24; }}
label {{ display: block; font-weight: 600; margin-bottom: .25rem; }}
input {{ width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; }}
button {{ font: inherit; margin-top: 1rem; padding: .5rem 1rem; }}
.error {{ color: #a40e26; }}
</style>
</head>
<body>
<main>
<h1>gateway dashboard</h1>
{message}
<form method="post" action="login">
<label for="key">API key with the <code>{scope}</code> scope</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
<p>The key is sent once, in this form's body; the browser then keeps a signed session
cookie for {hours:g} hours that only this gateway's dashboard accepts.</p>
</main>
</body>
</html>
"""


class Sessions:
    """Issue and check dashboard sessions for the keys of one :class:`KeyRing`."""

    def __init__(self, keys: KeyRing, lifetime: float) -> None:
        self.keys = keys
        self.lifetime = lifetime
        self.secret = session_secret()

    # --- the cookie ------------------------------------------------------------------------

    def _signature(self, name: str, expires: int, key_hash: bytes) -> str:
        message = f"{name}\0{expires}\0".encode() + key_hash
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _cookie_for(self, identity: Identity) -> str:
        found = self.keys.named(identity.name)
        assert found is not None
        expires = int(time.time() + self.lifetime)
        return f"{identity.name}.{expires}.{self._signature(identity.name, expires, found[0])}"

    def identify(self, request: web.Request) -> Identity | None:
        """The identity a valid session cookie stands for, on a safe request under
        ``/_gateway`` only; ``None`` otherwise."""
        if request.method not in SAFE or not _under_dashboard(request.path):
            return None
        value = request.cookies.get(COOKIE)
        if not value:
            return None
        # NAME.EXPIRES.SIGNATURE, split from the right: a key's name may hold dots.
        rest, _, signature = value.rpartition(".")
        name, _, expires_text = rest.rpartition(".")
        if not expires_text.isdigit() or int(expires_text) < time.time():
            return None
        found = self.keys.named(name)
        if found is None:
            return None
        key_hash, identity = found
        expected = self._signature(name, int(expires_text), key_hash)
        # As bytes: compare_digest refuses a str with characters outside ASCII.
        if not hmac.compare_digest(signature.encode("utf-8", "surrogateescape"), expected.encode()):
            return None
        return Identity(identity.name, identity.scopes, PROVIDER)

    # --- the pages -------------------------------------------------------------------------

    def handles(self, request: web.Request) -> bool:
        return request.path in (LOGIN, LOGOUT)

    async def answer(
        self,
        request: web.Request,
        scope: str,
        check_key: Callable[[web.Request, str], Awaitable[Identity | None]],
    ) -> web.StreamResponse:
        """The sign-in form, signing in, or signing out. ``check_key`` judges a posted key as
        a key in a header is judged (the lock-out included): its identity, or ``None``."""
        if request.path == LOGOUT:
            if request.method != "POST":
                return _not_allowed("POST")
            _same_origin(request)
            response = _see_other(LOGIN)
            response.del_cookie(COOKIE, path=PATH)
            return response
        if request.method in SAFE:
            return self._page(scope)
        if request.method != "POST":
            return _not_allowed("GET, HEAD, POST")
        _same_origin(request)
        key = await _posted_key(request)
        identity = await check_key(request, key) if key else None
        if identity is None:
            return self._page(scope, "That key is not valid.", status=401)
        if not identity.allows(scope):
            return self._page(scope, f"That key lacks the {scope} scope.", status=403)
        response = _see_other(DASHBOARD)
        response.set_cookie(
            COOKIE,
            self._cookie_for(identity),
            path=PATH,
            max_age=int(self.lifetime),
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        log.info("dashboard session started for %r", identity.name)
        return response

    def _page(self, scope: str, message: str = "", *, status: int = 200) -> web.Response:
        shown = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
        body = PAGE.format(message=shown, scope=html.escape(scope), hours=self.lifetime / 3600)
        headers = dict(PAGE_HEADERS)
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="gateway"'
        return web.Response(
            text=body, status=status, content_type="text/html", charset="utf-8", headers=headers
        )


def wants_sign_in(request: web.Request) -> bool:
    """A browser opening the dashboard without a session: sent to the sign-in page."""
    return (
        request.method in SAFE
        and request.path in (PATH, DASHBOARD)
        and "text/html" in request.headers.get(hdrs.ACCEPT, "")
    )


async def sign_in_redirect() -> web.StreamResponse:
    return _see_other(LOGIN)


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _under_dashboard(path: str) -> bool:
    return path == PATH or path.startswith(PATH + "/")


def _not_allowed(allowed: str) -> NoReturn:
    raise ProblemError(405, f"Use {allowed}.", headers={"Allow": allowed})


def _same_origin(request: web.Request) -> None:
    """Refuse (403) a sign-in or sign-out another site's page started.

    A browser says where a request comes from in ``Sec-Fetch-Site``, which no page can set
    or forge, and which a proxy in between does not change: believed when sent. Without it
    (an older browser, a script), ``Origin`` must be this gateway's own (a page with
    ``Referrer-Policy: no-referrer``, as the dashboard's, sends ``Origin: null``).
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    own = f"{request.scheme}://{request.host}".lower()
    if fetch_site is not None:
        if fetch_site == "same-origin":
            return
    elif request.headers.get(hdrs.ORIGIN, "").lower() == own:
        return
    raise ProblemError(
        403,
        "Signing in or out is accepted only from this gateway's own pages (the request came "
        f"from another origin than {own}). Open {LOGIN} on this address.",
    )


async def _posted_key(request: web.Request) -> str:
    if request.content_type != "application/x-www-form-urlencoded":
        raise ProblemError(415, "Post the sign-in form (application/x-www-form-urlencoded).")
    body = await read_body(request, FORM_LIMIT)
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=4)
    except (UnicodeDecodeError, ValueError):
        raise ProblemError(400, "The sign-in form could not be read.") from None
    return (fields.get("key") or [""])[0].strip()
