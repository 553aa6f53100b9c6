"""Other caches reckon an answer's freshness as the gateway does (RFC 9111 §4.2).

The judge is httplint, the library behind REDbot, fed the gateway's answers as received: its
freshness lifetime, current age and verdict (fresh or stale) come from its own reading of
``Date``, ``Age`` and ``Cache-Control``. Half-way through an entry's life it must still be
fresh with as much left as the gateway's ``Cache-Status`` ``ttl`` says (once, ``Age: 36``
with ``max-age=24`` made every other cache count the age twice and call it stale).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from aiohttp import ClientResponse
from httplint import HttpResponseLinter

from gateway_plugins.crypto import proxy, views
from gateway_plugins.crypto.keys import PROXY
from tests.crypto.conftest import MakeClient, crypto_subapp
from tests.crypto.fake_coingecko import FakeCoinGecko

TTL = 60


def judged(response: ClientResponse, body: bytes) -> HttpResponseLinter:
    linter = HttpResponseLinter(start_time=time.time())
    linter.process_response_topline(b"HTTP/1.1", str(response.status).encode(), b"OK")
    linter.process_headers(list(response.raw_headers))
    linter.feed_content(body)
    linter.finish_content(True)
    return linter


def verdict(linter: HttpResponseLinter) -> str:
    names = {type(note).__name__ for note in linter.notes}
    assert "STORE_STORABLE" in names, names
    if "FRESHNESS_FRESH" in names:
        return "fresh"
    assert "FRESHNESS_STALE_ALREADY" in names, names
    return "stale"


def _clock(monkeypatch: pytest.MonkeyPatch, now: float) -> None:
    clock = SimpleNamespace(time=lambda: now)
    monkeypatch.setattr(views, "time", clock)
    monkeypatch.setattr(proxy, "time", clock)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/crypto/price?ids=bitcoin&vs_currencies=usd",
        "/v1/crypto/simple/price?ids=bitcoin&vs_currencies=usd",
    ],
)
@pytest.mark.parametrize("after", [0.2, 12.5, 36.0, 59.4])
async def test_an_entry_is_fresh_elsewhere_exactly_as_long_as_here(
    make_client: MakeClient,
    fake: FakeCoinGecko,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    after: float,
):
    client = await make_client(ttl=TTL)
    first = await client.get(path)
    assert verdict(judged(first, await first.read())) == "fresh"
    entry = await crypto_subapp(client)[PROXY].store.get(
        "/simple/price?ids=bitcoin&vs_currencies=usd"
    )
    assert entry is not None
    _clock(monkeypatch, entry.response_time + after)
    response = await client.get(path)
    linter = judged(response, await response.read())
    assert verdict(linter) == "fresh"
    caching = linter.caching
    assert caching.freshness_lifetime_shared == TTL
    assert caching.age == int(after)
    ttl_here = int(response.headers["Cache-Status"].rsplit("ttl=", 1)[1])
    # Left by the judge's reckoning (whole seconds) and by the gateway's (rounded up): the same.
    assert ttl_here - 1 <= caching.freshness_lifetime_shared - caching.age <= ttl_here
    assert response.headers["Age"] == str(int(after))
    assert response.headers["Cache-Control"] == f"max-age={TTL}"


async def test_a_stale_answer_is_stale_elsewhere(
    make_client: MakeClient, fake: FakeCoinGecko, monkeypatch: pytest.MonkeyPatch
):
    client = await make_client(ttl=TTL)
    path = "/v1/crypto/coins/bitcoin/"
    await client.get(path)
    entry = await crypto_subapp(client)[PROXY].store.get("/coins/bitcoin")
    assert entry is not None
    fake.fail(503)
    _clock(monkeypatch, entry.response_time + TTL + 5)
    stale = await client.get(path)
    assert stale.status == 200
    assert stale.headers["Cache-Status"].startswith("gateway; hit; detail=revalidating; ttl=-")
    linter = judged(stale, await stale.read())
    assert verdict(linter) == "stale"
    assert linter.caching.age == TTL + 5
