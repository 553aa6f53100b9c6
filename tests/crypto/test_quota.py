"""Protecting CoinGecko's quota when it fails or is slow.

Failures remembered per key, the circuit that backs off the upstream as a whole and lets one
probe through, stale answers served at once while one refresh runs, and a log that says what
changed rather than what every request saw.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from gateway_plugins.crypto.keys import PROXY, STATS
from tests.crypto.conftest import MakeClient, crypto_subapp
from tests.crypto.fake_coingecko import FakeCoinGecko

PRICE = "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every line at WARNING or above, from any logger (the access log is INFO)."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("failure", ["500", "timeout", "refused"])
async def test_200_requests_to_a_failing_coingecko(
    make_client: MakeClient,
    fake: FakeCoinGecko,
    backend,
    caplog: pytest.LogCaptureFixture,
    failure: str,
):
    caplog.set_level(logging.DEBUG)
    client = await make_client(
        circuit_failures=5, circuit_open_for=30, max_connections=10, timeout=0.3, **backend
    )
    if failure == "500":
        fake.fail(500)
    elif failure == "timeout":
        fake.hang()
    else:
        await fake.server.close()
    # 50 distinct questions, 4 requests each, all at once: forwarded paths and curated routes.
    paths = [
        f"/v1/crypto/coins/coin-{n % 25}/" if n % 2 else f"/v1/crypto/coins/coin-{n % 25}x"
        for n in range(200)
    ]
    async with asyncio.timeout(20):
        responses = await asyncio.gather(*(client.get(path) for path in paths))
    statuses = {r.status for r in responses}
    assert statuses <= {502, 503, 504}, statuses
    # At most the failures that open the circuit plus the calls already in flight then.
    upstream = crypto_subapp(client)[STATS].upstream_calls
    assert 5 <= upstream <= 5 + 10
    circuit = crypto_subapp(client)[PROXY].circuit
    assert circuit.state == "open"
    refused = [
        r for r in responses if r.headers.get("Cache-Status") == "gateway; detail=circuit-open"
    ]
    assert refused and all(r.status == 503 and int(r.headers["Retry-After"]) > 0 for r in refused)
    # A second wave makes no call at all.
    async with asyncio.timeout(20):
        again = await asyncio.gather(*(client.get(path) for path in paths))
    assert {r.status for r in again} <= {502, 503, 504}
    assert crypto_subapp(client)[STATS].upstream_calls == upstream
    if failure == "500":
        assert fake.total_calls == upstream
    elif failure == "timeout":
        # On a loaded machine a call may time out before the fake has even read it.
        assert fake.total_calls <= upstream
    lines = warnings_logged(caplog)
    assert len(lines) == 1, lines
    assert "circuit open" in lines[0]
    fake.release()


async def test_the_circuit_half_opens_with_one_probe(
    make_client: MakeClient, fake: FakeCoinGecko, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    client = await make_client(circuit_failures=2, circuit_open_for=0.3, failure_ttl=0, timeout=0.5)
    circuit = crypto_subapp(client)[PROXY].circuit
    fake.fail(500)
    assert (await client.get("/v1/crypto/coins/list")).status == 502
    assert (await client.get("/v1/crypto/global")).status == 502
    assert circuit.state == "open" and fake.total_calls == 2
    shut = await client.get("/v1/crypto/ping")
    assert shut.status == 503
    assert shut.headers["Cache-Status"] == "gateway; detail=circuit-open"
    assert shut.headers["Retry-After"] == "1"
    assert shut.content_type == "application/problem+json"
    assert fake.total_calls == 2

    await asyncio.sleep(0.35)
    fake.hang()  # the probe takes its time: everyone else is refused meanwhile
    async with asyncio.timeout(5):
        during = await asyncio.gather(
            *(client.get(f"/v1/crypto/coins/coin-{n}") for n in range(20))
        )
    assert sorted(r.status for r in during) == [503] * 19 + [504]
    assert fake.total_calls == 3
    assert circuit.state == "open" and circuit.open_for == 0.6  # a failed probe: twice as long

    fake.release()
    await asyncio.sleep(0.65)
    assert (await client.get("/v1/crypto/ping/")).status == 200  # the probe that closes it
    assert circuit.state == "closed"
    answers = await asyncio.gather(
        *(client.get(f"/v1/crypto/coins/{c}") for c in ("bitcoin", "ethereum"))
    )
    assert [r.status for r in answers] == [200, 200]
    assert fake.total_calls == 6
    lines = warnings_logged(caplog)
    assert len(lines) == 2, lines
    assert "circuit open" in lines[0] and "answers again" in lines[1]


@pytest.mark.parametrize("status", [500, 401, 403])
async def test_a_failure_is_remembered_per_key(
    make_client: MakeClient, fake: FakeCoinGecko, backend, status: int
):
    client = await make_client(failure_ttl=0.5, circuit_failures=100, **backend)
    fake.fail(status)
    for _ in range(5):
        response = await client.get("/v1/crypto/coins/list/")
        assert response.status == 502
        assert response.content_type == "application/problem+json"
    assert response.headers["Cache-Status"] == "gateway; detail=failure-remembered"
    assert response.headers["Retry-After"] == "1"
    assert fake.calls["/coins/list"] == 1
    # Another key is asked: the memory is per key.
    assert (await client.get("/v1/crypto/global")).status == 502
    assert fake.total_calls == 2
    fake.ok()
    await asyncio.sleep(0.6)
    assert (await client.get("/v1/crypto/coins/list/")).status == 200
    assert fake.calls["/coins/list"] == 2


async def test_coingeckos_own_404_is_passed_on_as_a_problem_and_remembered(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(**backend)
    for path in ("/v1/crypto/coins/bitcoinn/", "/v1/crypto/coins/bitcoinn/tickers"):
        first = await client.get(path)
        assert first.status == 404
        assert first.content_type == "application/problem+json"
        problem = await first.json()
        # CoinGecko's message where its clients read it, beside the gateway's problem.
        assert problem["error"] == problem["upstream_error"] == "coin not found"
        assert problem["status"] == 404
        assert first.headers["Cache-Status"] == "gateway; fwd=miss; fwd-status=404; stored"
        again = await client.get(path)
        assert again.status == 404
        assert again.headers["Cache-Status"].startswith("gateway; hit; ttl=")
    assert fake.total_calls == 2


async def test_slow_coingecko_with_stale_at_hand_answers_at_once(
    make_client: MakeClient, fake: FakeCoinGecko, backend
):
    client = await make_client(ttl=0.3, **backend)
    paths = [PRICE, "/v1/crypto/simple/price?ids=ethereum&vs_currencies=usd", "/v1/crypto/global/"]
    before = [await (await client.get(path)).read() for path in paths]
    assert fake.total_calls == 3
    await asyncio.sleep(0.4)
    fake.set_price("bitcoin", "usd", 70000.0)
    fake.slow(6.0)
    started = time.monotonic()
    async with asyncio.timeout(5):
        responses = await asyncio.gather(*(client.get(paths[n % 3]) for n in range(30)))
    took = time.monotonic() - started
    # Not the 6 s CoinGecko takes (the margin is for a loaded machine: alone, about 0.1 s).
    assert took < 3, took
    for n, response in enumerate(responses):
        assert response.status == 200
        assert await response.read() == before[n % 3]
        cache_status = response.headers["Cache-Status"]
        assert cache_status.startswith("gateway; hit; detail=revalidating; ttl=-"), cache_status
    # One refresh per key, in the background; once it is in, the new price is served (asking
    # meanwhile is answered from the stale entry and calls nothing).
    for _ in range(75):  # 15 s at most
        refreshed = await client.get(PRICE)
        if not refreshed.headers["Cache-Status"].startswith("gateway; hit; detail=revalidating"):
            break
        await asyncio.sleep(0.2)
    assert await refreshed.json() == {"bitcoin": {"usd": 70000.0}}
    assert refreshed.headers["Cache-Status"].startswith("gateway; hit; ttl=")
    assert fake.total_calls == 6


async def test_stale_past_the_revalidation_window_waits_for_the_refresh(
    make_client: MakeClient, fake: FakeCoinGecko
):
    client = await make_client(ttl=0.2, stale_while_revalidate=0.2)
    await client.get(PRICE)
    await asyncio.sleep(0.5)  # stale for 0.3 s: past stale_while_revalidate, within stale_ttl
    fake.set_price("bitcoin", "usd", 70000.0)
    fake.slow(0.3)
    response = await client.get(PRICE)
    assert response.headers["Cache-Status"] == "gateway; fwd=stale; stored"
    assert await response.json() == {"bitcoin": {"usd": 70000.0}}
