"""Every way a token is refused: 401 problem+json with an RFC 6750 challenge that says what
was wrong, never the token; counted in metrics by reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.jwt.provider import AUDIENCE, bearer, private_key

# RFC 6750, section 3: error_description is a quoted-string of %x20-21 / %x23-5B / %x5D-7E.
CHALLENGE = re.compile(
    r'^Bearer realm="gateway", error="invalid_token", '
    r'error_description="[\x20\x21\x23-\x5b\x5d-\x7e]+"$'
)


def b64(data: dict[str, object] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def refused(client, token: str, reason: str, says: str) -> None:
    for method, path in (("GET", "/notes"), ("POST", "/notes"), ("GET", "/health/live")):
        answer = await client.request(method, path, json={"title": "x"}, headers=bearer(token))
        assert answer.status == 401, (reason, path, await answer.text())
        assert answer.content_type == "application/problem+json"
        challenge = answer.headers["WWW-Authenticate"]
        assert CHALLENGE.match(challenge), challenge
        body = await answer.json()
        assert body["reason"] == reason, body
        assert says in body["detail"] and says in challenge, (says, body["detail"])
        text = await answer.text()
        for part in token.split("."):
            if len(part) > 8:
                assert part not in text and part not in challenge


async def test_every_refusal_says_what_was_wrong(make_gateway, provider, caplog):
    caplog.set_level(logging.INFO, logger="gateway_plugins.jwt")
    client = await make_gateway({"algorithms": ["RS256", "ES256"], "leeway": 5})
    now = int(time.time())
    good = provider.token("ada")
    header, payload, signature = good.split(".")
    other_signature = provider.token("eve").split(".")[2]
    cases = [
        (f"{header}.{payload}.{other_signature}", "signature", "signature does not verify"),
        (provider.token(exp=now - 60), "expired", "has expired"),
        (provider.token(nbf=now + 120), "not_yet_valid", "not valid yet"),
        (provider.token(iat=now + 120), "not_yet_valid", "not valid yet"),
        (provider.token(iss="https://elsewhere.example"), "issuer", "not issued by"),
        (provider.token(aud="another-api"), "audience", "not meant for this API"),
        (provider.token(aud=None), "missing_claim", "lacks the aud claim"),
        (provider.token(exp=None), "missing_claim", "lacks the exp claim"),
        (provider.token(sub=None), "missing_claim", "lacks the sub claim"),
        (provider.token(kid="no-such-key"), "unknown_kid", "does not publish"),
        (f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.", "algorithm", "alg none"),
        (f"{b64({'alg': 'None'})}.{payload}.", "algorithm", "alg none"),
        (f"{b64({'alg': 'HS999'})}.{payload}.{signature}", "algorithm", "not accepted here"),
        (f"{b64({'typ': 'JWT'})}.{payload}.{signature}", "malformed", "no signing algorithm"),
        ("not.a.jwt", "malformed", "not a well-formed JWT"),
        (f"{header}.{b64(b'[1, 2]')}.{signature}", "malformed", "not a JSON object"),
        (f"{header}.{b64(b'not json')}.{signature}", "malformed", "not a well-formed JWT"),
        (f"{b64(b'{')}.{payload}.{signature}", "malformed", "not a well-formed JWT"),
        (f"{header}.{payload}.!!!", "malformed", "not a well-formed JWT"),
        # An ES256 token naming the RSA key: a key verifies only algorithms of its type.
        (provider.token(algorithm="ES256", kid=provider.kid("rsa")), "algorithm", "cannot verify"),
    ]
    for token, reason, says in cases:
        await refused(client, token, reason, says)
        assert f"refused a bearer token ({reason})" in caplog.text
        for part in token.split("."):
            assert len(part) < 9 or part not in caplog.text  # logged without the token
    assert (await client.get("/notes", headers=bearer(good))).status == 200


async def test_leeway_accepts_a_token_just_expired(make_gateway, provider):
    client = await make_gateway({"leeway": 60})
    token = provider.token(exp=int(time.time()) - 20, nbf=int(time.time()) + 20)
    assert (await client.get("/notes", headers=bearer(token))).status == 200


async def test_algorithm_confusion_the_rsa_public_key_as_an_hmac_secret(make_gateway, provider):
    # The classic attack: sign HS256 with the RSA public key (which anyone can fetch), hoping
    # the verifier uses that key as an HMAC secret.
    public_pem = (
        private_key("rsa")
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    claims = {"iss": provider.issuer, "aud": AUDIENCE, "sub": "mallory", "exp": time.time() + 60}
    header = {"alg": "HS256", "kid": provider.kid("rsa"), "typ": "JWT"}
    signing_input = f"{b64(header)}.{b64(claims)}".encode()
    forged_signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    forged = f"{signing_input.decode()}.{b64(forged_signature)}"
    # HS256 not accepted at all (no secret): refused by algorithm.
    client = await make_gateway()
    await refused(client, forged, "algorithm", "signed with HS256, which is not accepted")
    # HS256 accepted with a secret: checked with that secret alone, never a key of the set.
    client = await make_gateway({"algorithms": ["RS256", "HS256"], "secret": "s" * 40})
    await refused(client, forged, "signature", "signature does not verify")


async def test_what_is_not_a_jwt_is_not_judged(make_gateway, provider):
    client = await make_gateway()
    # Another scheme, an opaque token, an API key: not this plugin's to refuse (no auth
    # plugin here, so nobody refuses them).
    for value in ("Basic dXNlcjpwYXNz", "Bearer gw_someones-api-key", "Bearer opaque", "Bearer"):
        answer = await client.get("/notes", headers={"Authorization": value})
        assert answer.status == 200, value


def counted(text: str) -> dict[str, float]:
    """The jwt plugin's samples of a /metrics text, by series."""
    found = re.findall(r"^(gateway_jwt_\w+\{[^}]*\}) (\S+)$", text, re.M)
    return {series: float(value) for series, value in found}


async def test_refusals_and_acceptances_are_counted_by_reason(make_gateway, provider):
    # Metrics live in the process: other tests count too, so compare before and after.
    client = await make_gateway(gateway={"metrics": True})
    before = counted(await (await client.get("/metrics")).text())
    token = provider.token("ada")
    for _ in range(3):
        assert (await client.get("/notes", headers=bearer(token))).status == 200
    assert (await client.get("/notes", headers=bearer(provider.token(exp=1)))).status == 401
    after = counted(await (await client.get("/metrics")).text())
    tokens = 'gateway_jwt_tokens_total{instance="jwt",reason="%s",result="%s"}'
    for reason, result, more in (
        ("verified", "accepted", 1),
        ("cached", "accepted", 2),
        ("expired", "refused", 1),
    ):
        series = tokens % (reason, result)
        assert after[series] - before.get(series, 0) == more, series
    fetched = 'gateway_jwt_keys_fetched_timestamp_seconds{instance="jwt"}'
    assert time.time() - 60 < after[fetched] <= time.time()


async def test_required_claims_and_scp_lists(make_gateway, provider):
    client = await make_gateway(
        {"required_claims": ["exp", "email"]}, auth={}, gateway={"metrics": False}
    )
    without = provider.token("ada", scp=["write"])
    await refused(client, without, "missing_claim", "lacks the email claim")
    # scp as a list (Okta, Azure AD): each item a scope, judged by auth's rules.
    writer = provider.token("ada", scp=["read", "write"], email="ada@example.com")
    created = await client.post("/notes", json={"title": "x"}, headers=bearer(writer))
    assert created.status == 201, await created.text()
    reader = provider.token("bob", scp=["read"], email="bob@example.com")
    assert (await client.post("/notes", json={"title": "x"}, headers=bearer(reader))).status == 403
