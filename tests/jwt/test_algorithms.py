"""Every algorithm the plugin accepts verifies, through the gateway, with keys from the
provider's JWKS (found by OIDC discovery); HS256 only with a configured secret."""

from __future__ import annotations

import time

import jwt as pyjwt
import pytest

from tests.jwt.provider import ALGORITHMS, AUDIENCE, bearer

SECRET = "a-shared-secret-of-at-least-32-bytes-0123456789"


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
async def test_each_algorithm_verifies_and_names_the_caller(make_gateway, provider, algorithm):
    client = await make_gateway({"algorithms": [algorithm]})
    token = provider.token("ada", algorithm, scope="write")
    created = await client.post("/notes", json={"title": "x"}, headers=bearer(token))
    assert created.status == 201, await created.text()
    assert (await created.json())["created_by"] == "ada"


async def test_an_algorithm_the_operator_did_not_list_is_refused(make_gateway, provider):
    client = await make_gateway({"algorithms": ["RS256", "ES256"]})
    assert (await client.get("/notes", headers=bearer(provider.token("a", "ES256")))).status == 200
    for algorithm in ("PS256", "EdDSA", "RS512"):
        refused = await client.get("/notes", headers=bearer(provider.token("a", algorithm)))
        assert refused.status == 401
        assert (
            f"signed with {algorithm}, which is not accepted here"
            in (await refused.json())["detail"]
        )


async def test_hs256_with_the_configured_secret(make_gateway, provider):
    client = await make_gateway({"algorithms": ["HS256"], "secret": SECRET, "discovery": False})
    claims = {"iss": provider.issuer, "aud": AUDIENCE, "sub": "svc", "exp": time.time() + 60}
    good = pyjwt.encode(claims, SECRET, algorithm="HS256")
    assert (await client.get("/notes", headers=bearer(good))).status == 200
    wrong = pyjwt.encode(claims, "another-secret-of-at-least-32-bytes-0123", algorithm="HS256")
    refused = await client.get("/notes", headers=bearer(wrong))
    assert refused.status == 401
    assert (await refused.json())["reason"] == "signature"
    assert provider.fetches == 0  # a secret alone needs no keys from anywhere
    listing = await (await client.get("/_gateway/plugins")).text()
    assert SECRET not in listing and "verify" in listing  # the secret is redacted
