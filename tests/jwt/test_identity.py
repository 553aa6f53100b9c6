"""A verified token is an identity the other plugins read unchanged: the auth plugin's rules
judge its scopes (nested claims too), API keys work beside it, several issuers at once as
instances, each in /openapi.json; its verification is paid once per token."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from gateway.config import ConfigError
from gateway.testing import build_config, gateway_app
from gateway_plugins.auth.keyring import hash_key
from tests.jwt.provider import AUDIENCE, IdentityProvider, bearer

WRITER = "gw_writer-key-0123456789abcdefghijklmnopqrstuvwxyz"
KEYS = {"ci": {"hash": hash_key(WRITER), "scopes": ["write"]}}
NOTE = {"title": "x"}


async def test_keycloak_roles_are_scopes_the_auth_rules_enforce(make_gateway, provider):
    client = await make_gateway(
        {"scope_claims": ["scope", "realm_access.roles"], "subject_claim": "preferred_username"},
        auth={"keys": KEYS},
    )

    def token(roles: list[str], **claims: Any) -> dict[str, str]:
        nested = {"realm_access": {"roles": roles}, "preferred_username": "ada", **claims}
        return bearer(provider.token("f81d4fae-7dec", **nested))

    created = await client.post("/notes", json=NOTE, headers=token(["write"]))
    assert created.status == 201, await created.text()
    assert (await created.json())["created_by"] == "ada"  # the claim the operator named
    refused = await client.post("/notes", json=NOTE, headers=token(["read"]))
    assert refused.status == 403
    assert "'ada' lacks scope 'write'" in (await refused.json())["detail"]
    assert (await client.get("/_gateway/plugins", headers=token(["write"]))).status == 403
    assert (await client.get("/_gateway/plugins", headers=token(["admin"]))).status == 200
    # scope (a space-separated string) and the roles add up.
    assert (
        await client.post("/notes", json=NOTE, headers=token([], scope="a write"))
    ).status == 201
    # An API key beside the JWTs, as before.
    assert (await client.post("/notes", json=NOTE, headers=bearer(WRITER))).status == 201
    assert (await client.post("/notes", json=NOTE, headers={"X-API-Key": WRITER})).status == 201
    wrong_key = await client.post("/notes", json=NOTE, headers=bearer("gw_wrong"))
    assert wrong_key.status == 401 and "API key" in (await wrong_key.json())["detail"]
    notes = (await (await client.get("/notes?limit=10")).json())["notes"]
    assert sorted(n["created_by"] for n in notes) == ["ada", "ada", "ci", "ci"]
    # No name to go by: refused, never anonymous.
    nameless = await client.get("/notes", headers=token(["write"], preferred_username=None))
    assert nameless.status == 401
    assert "lacks the preferred_username claim" in (await nameless.json())["detail"]


async def test_several_issuers_at_once(aiohttp_server, make_gateway, provider):
    second = IdentityProvider()
    server = await aiohttp_server(second.app())
    second.issuer = str(server.make_url("")).rstrip("/")
    second.generation = 7  # other keys than the first provider's
    client = await make_gateway(
        auth={"keys": KEYS},
        keycloak={"plugin": "jwt", "issuer": second.issuer, "audience": [AUDIENCE]},
    )
    first = await client.post(
        "/notes", json=NOTE, headers=bearer(provider.token("ada", scope="write"))
    )
    assert first.status == 201, await first.text()
    other = await client.post(
        "/notes", json=NOTE, headers=bearer(second.token("bob", scope="write"))
    )
    assert other.status == 201, await other.text()
    assert second.fetches == 1 and provider.fetches == 1
    # A token of the second issuer signed with the first's key: the second judges it.
    forged = provider.token("eve", iss=second.issuer, kid=second.kid("rsa"), scope="write")
    refused = await client.post("/notes", json=NOTE, headers=bearer(forged))
    assert refused.status == 401 and (await refused.json())["reason"] == "signature"
    # An issuer no instance knows: refused by the instances, never anonymous.
    stranger = provider.token("mallory", iss="https://stranger.example", scope="write")
    refused = await client.get("/notes", headers=bearer(stranger))
    assert refused.status == 401 and (await refused.json())["reason"] == "issuer"
    health = (await (await client.get("/health")).json())["checks"]
    assert health["jwt:keys"][0]["status"] == "pass"
    assert health["keycloak:keys"][0]["status"] == "pass"
    document = await (await client.get("/openapi.json")).json()
    validate(document)
    schemes = document["components"]["securitySchemes"]
    assert second.issuer in schemes["jwt.keycloak"]["description"]
    create = document["paths"]["/notes"]["post"]["security"]
    assert create == [
        {"bearer": ["write"]},
        {"apiKey": ["write"]},
        {"jwt": ["write"]},
        {"jwt.keycloak": ["write"]},
    ]
    assert "503" in document["paths"]["/notes"]["post"]["responses"]


async def test_rate_limits_count_each_issuers_subject_apart(aiohttp_server, make_gateway, provider):
    second = IdentityProvider()
    server = await aiohttp_server(second.app())
    second.issuer = str(server.make_url("")).rstrip("/")
    client = await make_gateway(
        ratelimit={"limits": ["2/minute"]},
        okta={"plugin": "jwt", "issuer": second.issuer, "audience": [AUDIENCE]},
    )
    for token in (provider.token("ada"), second.token("ada")):  # same subject, two issuers
        for remaining in (1, 0):
            admitted = await client.get("/notes", headers=bearer(token))
            assert admitted.headers["RateLimit"].startswith(f'"2/minute";r={remaining};')
        assert (await client.get("/notes", headers=bearer(token))).status == 429
    # A fresh token of the same subject shares its bucket.
    assert (await client.get("/notes", headers=bearer(provider.token("ada")))).status == 429


def metric(text: str, series: str) -> float:
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_the_cache_is_bounded_and_each_token_is_verified_once(make_gateway, provider):
    client = await make_gateway({"cache_size": 2}, gateway={"metrics": True})
    verified = 'gateway_jwt_tokens_total{instance="jwt",reason="verified",result="accepted"}'
    start = metric(await (await client.get("/metrics")).text(), verified)
    a, b, c = (bearer(provider.token(name)) for name in "abc")
    for headers in (a, b, a, b, a, b):
        assert (await client.get("/notes", headers=headers)).status == 200
    after = metric(await (await client.get("/metrics")).text(), verified)
    assert after - start == 2  # a and b once each
    for headers in (c, a):  # c pushes a out (the oldest), so a is verified again
        assert (await client.get("/notes", headers=headers)).status == 200
    after = metric(await (await client.get("/metrics")).text(), verified)
    assert after - start == 4


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ({"audience": ["x"]}, "issuer is required"),
        ({"issuer": "https://idp.example"}, "audience is required"),
        ({"issuer": "i", "audience": ["x"], "algorithms": ["HS256"]}, "needs a shared secret"),
        ({"issuer": "i", "audience": ["x"], "secret": "s" * 32}, "no HS* algorithm is"),
        ({"issuer": "https://i", "audience": ["x"], "algorithms": ["none"]}, "algorithms.0"),
        (
            {"issuer": "https://i", "audience": ["x"], "secret": "short", "algorithms": ["HS256"]},
            "secret",
        ),
        ({"issuer": "urn:idp", "audience": ["x"]}, "needs public keys"),
        ({"issuer": "https://i", "audience": ["x"], "jwks_url": "file:///etc/keys"}, "jwks_url"),
    ],
)
def test_a_bad_table_is_refused_with_the_fix(tmp_path: Path, table: dict[str, Any], says: str):
    with pytest.raises(ConfigError) as refused:
        build_config({"plugins": {"jwt": table}}, builtins=[], config_dir=tmp_path)
    assert says in str(refused.value), str(refused.value)
    assert "plugins.jwt" in str(refused.value)


def test_two_instances_of_one_issuer_are_refused(tmp_path: Path):
    config = tmp_path / "plugins.toml"
    config.write_text(
        '[plugins.jwt]\nissuer = "https://idp.example"\naudience = ["a"]\n'
        'jwks_url = "https://idp.example/k"\n'
        '[plugins.second]\nplugin = "jwt"\nissuer = "https://idp.example"\naudience = ["b"]\n'
        'jwks_url = "https://idp.example/k"\n'
        '[plugins.files]\nplugin = "jwt"\nissuer = "https://files.example"\naudience = ["c"]\n'
        'jwks_file = "missing.json"\n'
    )
    checked = subprocess.run(
        [sys.executable, "-m", "gateway", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 2, checked
    assert "both have issuer 'https://idp.example'" in checked.stderr
    assert "missing.json" in checked.stderr  # a key file is read when the plugin is built


async def test_a_missing_key_file_stops_the_start(tmp_path: Path):
    table = {"issuer": "https://i.example", "audience": ["a"], "jwks_file": "nope.json"}
    with pytest.raises(Exception, match=r"nope\.json"):
        await gateway_app({"plugins": {"jwt": table}}, builtins=[], config_dir=tmp_path)
