"""Preflight-shaped requests (issue 34): only a preflight the cors plugin answers passes
auth. Where cors does not answer one (off, narrowed by ``apply_to``/``skip``, or moved inside
auth by ``priority``), an ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method`` is
a request like any other: a key it sends is checked and a wrong one counted, and without one
it needs what the rules say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.testing import gateway_app
from gateway_plugins.auth.keyring import hash_key

APP = "http://app.example"
SHAPED = {"Origin": APP, "Access-Control-Request-Method": "DELETE"}
WRITER = "gw_writer-key-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(cors: dict[str, Any] | None, *, auth: bool = True) -> TestClient:
        plugins: dict[str, Any] = {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "ratelimit": {"limits": ["100/minute"]},
        }
        if auth:
            plugins["auth"] = {"keys": {"ci": {"hash": hash_key(WRITER), "scopes": ["write"]}}}
        if cors is not None:
            plugins["cors"] = {"origins": [APP], **cors}
        app = await gateway_app({"plugins": plugins}, config_dir=tmp_path)
        return await aiohttp_client(app)

    return build


NOT_ANSWERED = {
    "cors off": None,
    "cors narrowed by apply_to": {"apply_to": ["health"]},
    "cors narrowed by skip": {"skip": ["notes"]},
    "cors moved inside auth": {"priority": 100},
}


@pytest.mark.parametrize("cors", NOT_ANSWERED.values(), ids=NOT_ANSWERED.keys())
async def test_a_preflight_cors_does_not_answer_goes_through_auth(make, cors):
    client = await make(cors)
    anonymous = await client.options("/notes/1", headers=SHAPED)
    assert anonymous.status == 401  # OPTIONS is not a read: the shipped rules want `write`
    wrong = {**SHAPED, "Authorization": "Bearer gw_wrong-key"}
    statuses = [(await client.options("/notes/1", headers=wrong)).status for _ in range(11)]
    # Checked and counted: auth's max_failures is 10/minute.
    assert statuses == [401] * 10 + [429]


@pytest.mark.parametrize("cors", NOT_ANSWERED.values(), ids=NOT_ANSWERED.keys())
async def test_a_preflight_cors_does_not_answer_is_rate_limited(make, cors):
    client = await make(cors, auth=False)  # (a request auth refuses is never counted)
    answered = await client.options("/notes/1", headers=SHAPED)
    assert answered.headers["RateLimit-Policy"] == '"100/minute";q=100;w=60'


async def test_a_preflight_cors_answers_passes_auth(make):
    client = await make({})
    answered = await client.options("/notes/1", headers=SHAPED)
    assert answered.status == 204
    assert answered.headers["Access-Control-Allow-Origin"] == APP
    assert "RateLimit" not in answered.headers  # answered before rate limiting
