"""auth, ratelimit and cors in front of a proxied service, by configuration alone."""

from __future__ import annotations

import gateway_plugins.auth as auth_plugin
import gateway_plugins.cors as cors_plugin
import gateway_plugins.ratelimit as ratelimit_plugin
from gateway.testing import assert_problem
from gateway_plugins.auth.keyring import hash_key
from tests.proxy.test_forwarding import fields
from tests.proxy.upstream import SEEN

WRITER = "gw_writer_key_0123456789abcdef0123456789"
ORIGIN = "http://app.example"


async def test_keys_identity_and_limits_in_front(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied(
        [server],
        plugins=(auth_plugin, ratelimit_plugin),
        tables={
            "auth": {"keys": {"ci": {"hash": hash_key(WRITER), "scopes": ["write"]}}},
            "ratelimit": {"limits": ["3/minute"]},
        },
    )
    await assert_problem(await client.post("/svc/x", data=b"1"), 401)
    response = await client.post("/svc/x", data=b"1", headers={"X-API-Key": WRITER})
    assert response.status == 200
    sent = fields(await response.json())
    assert sent["x-gateway-identity"] == ["ci"]
    assert "x-api-key" not in sent
    anonymous = fields(await (await client.get("/svc/x")).json())
    assert "x-gateway-identity" not in anonymous
    statuses = [(await client.get("/svc/x")).status for _ in range(3)]
    assert statuses[-1] == 429 and 200 in statuses  # limited before reaching the upstream
    await assert_problem(await client.get("/svc/x"), 429)


async def test_cors_fields_on_a_small_answer(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server], plugins=(cors_plugin,), tables={"cors": {"origins": [ORIGIN]}})
    response = await client.get("/svc/x", headers={"Origin": ORIGIN})
    assert response.status == 200
    assert response.headers.get("Access-Control-Allow-Origin") == ORIGIN


async def test_cors_fields_on_a_streamed_answer(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server], plugins=(cors_plugin,), tables={"cors": {"origins": [ORIGIN]}})
    response = await client.get(
        "/svc/stream", params={"size": "200000"}, headers={"Origin": ORIGIN}
    )
    assert response.status == 200
    assert len(await response.read()) == 200000
    assert response.headers.get("Access-Control-Allow-Origin") == ORIGIN


async def test_cors_preflight_answered_by_the_gateway(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server], plugins=(cors_plugin,), tables={"cors": {"origins": [ORIGIN]}})
    response = await client.options(
        "/svc/x",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
    )
    assert response.status in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_a_preflight_cors_does_not_answer_goes_through_auth(upstream, proxied) -> None:
    # Issue 34: with cors off, an OPTIONS shaped like a preflight reached the catch-all
    # handler anonymously, its wrong key neither checked nor counted.
    server = await upstream()
    client = await proxied(
        [server],
        plugins=(auth_plugin,),
        tables={"auth": {"keys": {"ci": {"hash": hash_key(WRITER), "scopes": ["write"]}}}},
    )
    shaped = {"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"}
    await assert_problem(await client.options("/svc/x", headers=shaped), 401)
    wrong = {**shaped, "X-API-Key": "gw_wrong"}
    statuses = [(await client.options("/svc/x", headers=wrong)).status for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    assert server.app[SEEN] == []  # the service never saw one
