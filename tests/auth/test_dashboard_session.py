"""The dashboard's sign-in through HTTP: what a session cookie opens and what it never does,
tampered and expired cookies, CSRF checks on sign-in and sign-out, and the lock-out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.testing import gateway_app
from gateway_plugins.auth.keyring import hash_key

ADMIN = "gw_admin-key-0123456789abcdefghijklmnopqrstuvwxyz"
WRITER = "gw_writer-key-0123456789abcdefghijklmnopqrstuvwxyz"
KEYS = {
    "ops.team": {"hash": hash_key(ADMIN), "scopes": ["admin", "write"]},
    "ci": {"hash": hash_key(WRITER), "scopes": ["write"]},
}
SAME = {"Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(**auth: Any) -> TestClient:
        plugins = {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "auth": {"keys": KEYS, **auth},
        }
        app = await gateway_app({"plugins": plugins}, config_dir=tmp_path)
        return await aiohttp_client(app)

    return build


async def sign_in(client: TestClient, key: str, headers: dict[str, str] = SAME) -> Any:
    return await client.post(
        "/_gateway/login", data={"key": key}, headers=headers, allow_redirects=False
    )


def session_of(response: Any) -> str:
    return response.cookies["gateway_session"].value


async def test_a_session_opens_the_dashboard_for_reading_only(make):
    client = await make()
    answer = await sign_in(client, ADMIN)
    assert answer.status == 303 and answer.headers["Location"] == "/_gateway/"
    cookie = answer.cookies["gateway_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/_gateway"
    assert ADMIN not in cookie.value and cookie.value.startswith("ops.team.")
    jar = {"Cookie": f"gateway_session={cookie.value}"}
    client.session.cookie_jar.clear()  # sent by hand below, to choose where

    status = await client.get("/_gateway/status", headers=jar)
    assert status.status == 200
    assert (await status.json())["caller"] == {"name": "ops.team", "provider": "auth:session"}
    assert (await client.get("/_gateway/plugins", headers=jar)).status == 200
    # Never for a state-changing request, and nowhere but /_gateway.
    assert (await client.post("/_gateway/status", headers=jar)).status == 401
    created = await client.post("/notes", json={"title": "x", "priority": 1}, headers=jar)
    assert created.status == 401
    assert (await client.get("/metrics", headers=jar)).status in (401, 404)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v.replace("ops.team.", "ci.", 1),  # another key's name, same signature
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # another signature
        lambda v: "ops.team.99999999999." + v.rpartition(".")[2],  # a later expiry
        lambda v: v + "\u00e9",  # not ASCII
        lambda v: "garbage",
    ],
)
async def test_a_tampered_cookie_opens_nothing(make, tamper):
    client = await make()
    value = session_of(await sign_in(client, ADMIN))
    client.session.cookie_jar.clear()
    answer = await client.get(
        "/_gateway/status", headers={"Cookie": f"gateway_session={tamper(value)}"}
    )
    assert answer.status == 401


async def test_a_session_ends_when_its_key_is_replaced(make, aiohttp_client, tmp_path):
    client = await make()
    value = session_of(await sign_in(client, ADMIN))
    other = "gw_other-key-0123456789abcdefghijklmnopqrstuvwxyz0"
    keys = {**KEYS, "ops.team": {"hash": hash_key(other), "scopes": ["admin"]}}
    app = await gateway_app(
        {"plugins": {"health": {}, "auth": {"keys": keys}}}, config_dir=tmp_path
    )
    reloaded = await aiohttp_client(app)
    answer = await reloaded.get("/_gateway/status", headers={"Cookie": f"gateway_session={value}"})
    assert answer.status == 401


async def test_sign_in_refuses_other_origins_and_wrong_keys(make):
    client = await make(max_failures="3/minute")
    # Another site's page: its browser says cross-site, or its Origin is not ours.
    assert (await sign_in(client, ADMIN, {"Sec-Fetch-Site": "cross-site"})).status == 403
    assert (await sign_in(client, ADMIN, {"Origin": "http://evil.example"})).status == 403
    assert (await sign_in(client, ADMIN, {})).status == 403  # says nothing of where from
    # Our own origin, from a client without Sec-Fetch-Site.
    own = f"http://{client.host}:{client.port}"
    assert (await sign_in(client, ADMIN, {"Origin": own})).status == 303
    # A key without the scope the rules require for /_gateway: 403, no cookie.
    refused = await sign_in(client, WRITER)
    assert refused.status == 403 and "gateway_session" not in refused.cookies
    assert "lacks the admin scope" in await refused.text()
    # Wrong keys count towards max_failures, then even the right key is refused.
    for _ in range(3):
        assert (await sign_in(client, "gw_wrong")).status == 401
    assert (await sign_in(client, ADMIN)).status == 429


async def test_a_browser_without_a_session_is_sent_to_sign_in(make):
    client = await make()
    page = await client.get("/_gateway/", headers={"Accept": "text/html"}, allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/_gateway/login"
    form = await client.get("/_gateway/login")
    assert form.status == 200 and form.content_type == "text/html"
    assert "form-action 'self'" in form.headers["Content-Security-Policy"]
    assert '<form method="post" action="login">' in await form.text()
    # A script's request is still a 401 problem, not a redirect.
    assert (await client.get("/_gateway/status")).status == 401


async def test_sign_out_clears_the_cookie_only_from_our_pages(make):
    client = await make()
    jar = {"Cookie": f"gateway_session={session_of(await sign_in(client, ADMIN))}"}
    refused = await client.post(
        "/_gateway/logout", headers={"Sec-Fetch-Site": "cross-site", **jar}, allow_redirects=False
    )
    assert refused.status == 403 and "gateway_session" not in refused.cookies
    out = await client.post("/_gateway/logout", headers={**SAME, **jar}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/_gateway/login"
    cleared = out.cookies["gateway_session"]
    assert cleared.value == "" and cleared["path"] == "/_gateway"
