"""Where the keys come from and how they stay fresh: discovery, a JWKS URL, files; rotation
without a restart; a provider that is down; a flood of unknown kids; Cache-Control."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.jwt.provider import bearer, private_key, public_jwk


async def jwt_health(client) -> dict:
    body = await (await client.get("/health")).json()
    return body["checks"]["jwt:keys"][0]


async def test_discovery_finds_the_keys_and_health_shows_their_age(make_gateway, provider):
    client = await make_gateway()
    assert provider.discoveries == 1 and provider.fetches == 1
    assert (await client.get("/notes", headers=bearer(provider.token()))).status == 200
    entry = await jwt_health(client)
    assert entry["status"] == "pass"
    assert entry["source"] == "discovery" and entry["keys"] == 5
    assert 0 <= entry["ageSeconds"] < 30 and entry["observedUnit"] == "s"
    assert entry["lastFetch"] == "fetched 5 keys"
    assert provider.issuer not in json.dumps(entry)  # /health is public: no URL


async def test_a_jwks_url_without_discovery(make_gateway, provider):
    client = await make_gateway({"jwks_url": f"{provider.issuer}/keys"})
    assert provider.discoveries == 0 and provider.fetches == 1
    assert (await client.get("/notes", headers=bearer(provider.token()))).status == 200
    assert (await jwt_health(client))["source"] == "jwks_url"


async def test_rotation_needs_no_restart(make_gateway, provider):
    client = await make_gateway({"jwks_cooldown": 0.2})
    old = provider.token("before")
    assert (await client.get("/notes", headers=bearer(old))).status == 200
    provider.rotate()
    await asyncio.sleep(0.3)  # past the cool-down since the start-up fetch
    new = provider.token("after")
    assert (await client.get("/notes", headers=bearer(new))).status == 200
    assert provider.fetches == 2
    # A token of the retired key that was never seen before is refused: its kid is gone.
    unseen_old = provider.token("late", generation=0)
    answer = await client.get("/notes", headers=bearer(unseen_old))
    assert answer.status == 401 and (await answer.json())["reason"] == "unknown_kid"


async def test_a_flood_of_unknown_kids_is_one_fetch_per_cool_down(make_gateway, provider):
    # A cool-down long enough for both floods to fit in it on a loaded machine.
    client = await make_gateway({"jwks_cooldown": 3.0})
    await asyncio.sleep(3.1)  # the start-up fetch's cool-down is over

    async def random_kid() -> int:
        token = provider.token(kid=uuid.uuid4().hex)
        return (await client.get("/notes", headers=bearer(token))).status

    statuses = await asyncio.gather(*(random_kid() for _ in range(50)))
    assert set(statuses) == {401}
    assert provider.fetches == 2  # start-up, then one for the whole flood
    statuses = await asyncio.gather(*(random_kid() for _ in range(50)))
    assert set(statuses) == {401} and provider.fetches == 2  # still cooling down
    await asyncio.sleep(3.1)
    await asyncio.gather(*(random_kid() for _ in range(20)))
    assert provider.fetches == 3
    # Valid tokens were never held up by the flood.
    assert (await client.get("/notes", headers=bearer(provider.token()))).status == 200


async def test_a_shorter_max_age_refreshes_sooner(make_gateway, provider):
    provider.cache_control = "public, max-age=1"
    await make_gateway({"jwks_cooldown": 0.2, "jwks_refresh": 300})
    await asyncio.sleep(2.5)
    assert 2 <= provider.fetches <= 4  # about every second, as max-age says


async def test_jwks_refresh_bounds_a_longer_max_age(make_gateway, provider):
    provider.cache_control = "max-age=3600"
    await make_gateway({"jwks_cooldown": 0.2, "jwks_refresh": 1})
    await asyncio.sleep(1.5)
    # At start, then after jwks_refresh (shorter than max-age); a third on a slow machine.
    assert 2 <= provider.fetches <= 3


async def test_the_last_good_keys_serve_while_the_provider_is_down(make_gateway, provider):
    provider.cache_control = "max-age=1"
    client = await make_gateway({"jwks_cooldown": 0.2})
    provider.down = True
    await asyncio.sleep(1.5)  # a refresh failed meanwhile
    entry = await jwt_health(client)
    assert entry["status"] == "warn", entry  # not required: reported, readiness holds
    assert "HTTP 503" in entry["output"] and "using the key set of" in entry["output"]
    assert (await client.get("/health/ready")).status == 200
    fresh = provider.token("during-outage")  # never seen: verified with the kept keys
    assert (await client.get("/notes", headers=bearer(fresh))).status == 200
    provider.down = False
    await asyncio.sleep(1.5)
    assert (await jwt_health(client))["status"] == "pass"


async def test_no_keys_at_start_up_is_503_until_the_provider_answers(make_gateway, provider):
    provider.down = True
    client = await make_gateway({"jwks_cooldown": 0.3})
    token = provider.token()
    answer = await client.get("/notes", headers=bearer(token))
    assert answer.status == 503
    assert answer.content_type == "application/problem+json"
    assert answer.headers["Retry-After"] == "1"
    assert (await client.get("/notes")).status == 200  # requests without a token are served
    entry = await jwt_health(client)
    assert entry["status"] == "warn" and "no key set" in entry["output"]
    provider.down = False
    await asyncio.sleep(0.6)
    assert (await client.get("/notes", headers=bearer(token))).status == 200


async def test_keys_from_files_and_their_changes(make_gateway, provider, tmp_path: Path):
    jwks = tmp_path / "keys.json"
    jwks.write_text(json.dumps({"keys": [public_jwk("rsa", 0, "file-rsa")]}))
    pem = tmp_path / "edge.pem"
    pem.write_bytes(
        private_key("p256")
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    client = await make_gateway(
        {
            "jwks_file": "keys.json",
            "public_keys": ["edge.pem"],
            "algorithms": ["RS256", "ES256"],
            "jwks_refresh": 1,
        }
    )
    assert provider.fetches == 0
    rsa_token = provider.token(kid="file-rsa")
    assert (await client.get("/notes", headers=bearer(rsa_token))).status == 200
    es_token = provider.token(algorithm="ES256", kid="edge")  # a PEM's kid: its file name
    assert (await client.get("/notes", headers=bearer(es_token))).status == 200
    no_kid = provider.token(algorithm="ES256", kid=False)  # no kid: every key that fits
    assert (await client.get("/notes", headers=bearer(no_kid))).status == 200
    assert (await jwt_health(client))["source"] == "files"
    # The file changes: read again within jwks_refresh, no restart.
    jwks.write_text(json.dumps({"keys": [public_jwk("rsa", 1, "file-rsa-2")]}))
    await asyncio.sleep(1.5)
    rotated = provider.token(kid="file-rsa-2", generation=1)
    assert (await client.get("/notes", headers=bearer(rotated))).status == 200


async def test_what_is_not_a_usable_key_set_keeps_the_last(make_gateway, provider):
    provider.cache_control = "max-age=1"
    client = await make_gateway({"jwks_cooldown": 0.2})
    token = provider.token("ada")
    private = {**public_jwk("rsa", 0, "leaked"), "d": "AQAB"}  # private parts: never taken
    for body, says in (
        (b"<html>login</html>", "is not JSON"),
        (b'{"keys": "none"}', "not a JWK set"),
        (json.dumps({"keys": [private, {"kty": "oct", "k": "c2VjcmV0"}]}).encode(), "no usable"),
        (b'{"keys": [' + b" " * (1024 * 1024) + b"]}", "larger than"),
    ):
        provider.keys_body = body
        await asyncio.sleep(1.3)
        entry = await jwt_health(client)
        assert entry["status"] == "warn" and says in entry["lastFetch"], (says, entry)
        assert entry["keys"] == 5
        assert (await client.get("/notes", headers=bearer(token))).status == 200


async def test_a_configuration_naming_another_issuer_gives_no_keys(make_gateway, provider):
    provider.claimed_issuer = "https://impostor.example"
    client = await make_gateway()
    assert provider.fetches == 0  # its jwks_uri is not followed
    entry = await jwt_health(client)
    assert entry["status"] == "warn" and "names another issuer" in entry["output"]
    assert (await client.get("/notes", headers=bearer(provider.token()))).status == 503
