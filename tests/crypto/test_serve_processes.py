"""Two real ``gateway serve`` processes sharing one Redis make one upstream call."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.crypto.fake_coingecko import FakeCoinGecko
from tests.processes import GatewayProcess

pytestmark = pytest.mark.redis

PRICE = "/v1/crypto/price?ids=bitcoin,ethereum&vs_currencies=usd"


@asynccontextmanager
async def two_gateways(
    tmp_path: Path, fake: FakeCoinGecko, redis_url: str, namespace: str, settings: str = ""
) -> AsyncIterator[list[GatewayProcess]]:
    """Two gateways on one config (crypto on ``fake``, its cache in Redis, and ``settings``
    added to [plugins.crypto]), listening; stopped on the way out."""
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            shutdown_timeout = 5
            [plugins.health]
            [plugins.crypto]
            base_url = "{fake.url}"
            cache = "{redis_url}"
            cache_namespace = "{namespace}"
            """
        )
        + textwrap.dedent(settings)
    )
    gateways = [GatewayProcess(config, tmp_path / f"gateway-{n}.log") for n in (1, 2)]
    try:
        for gateway in gateways:
            await gateway.listening()
        yield gateways
    finally:
        for gateway in gateways:
            # Off the event loop, which serves the fake CoinGecko while they shut down.
            await asyncio.to_thread(gateway.stop, 15)


async def test_two_processes_one_redis_one_upstream_call(
    tmp_path: Path, fake: FakeCoinGecko, redis_url: str, redis_namespace: str
):
    async with two_gateways(tmp_path, fake, redis_url, redis_namespace) as gateways:
        ports = [gateway.port for gateway in gateways]
        fake.slow(0.5)
        async with aiohttp.ClientSession() as session, asyncio.timeout(15):

            async def ask(port: int) -> tuple[int, str]:
                async with session.get(f"http://127.0.0.1:{port}{PRICE}") as response:
                    await response.read()
                    return response.status, response.headers["Cache-Status"]

            answers = await asyncio.gather(*(ask(port) for _ in range(10) for port in ports))
        assert [status for status, _ in answers] == [200] * 20
        assert fake.calls["/simple/price"] == 1
        statuses = [cache_status for _, cache_status in answers]
        assert statuses.count("gateway; fwd=miss; stored") == 1
        assert statuses.count("gateway; fwd=miss; stored; collapsed") == 19

        # An upstream that answers at once: a process may miss, then take the lock just after
        # the other released it; it must look at the cache again instead of calling again.
        fake.ok()
        currencies = ["eur", "btc", "usd,eur", "eur,btc"]
        async with aiohttp.ClientSession() as session, asyncio.timeout(20):

            async def price(port: int, vs: str) -> int:
                url = f"http://127.0.0.1:{port}/v1/crypto/price?ids=tether&vs_currencies={vs}"
                async with session.get(url) as response:
                    await response.read()
                    return response.status

            burst = await asyncio.gather(
                *(price(port, vs) for vs in currencies for _ in range(25) for port in ports)
            )
        assert burst == [200] * 200
        assert fake.calls["/simple/price"] == 1 + len(currencies)

        # A live subscriber is told "going away" when its gateway stops.
        fake.ok()
        async with aiohttp.ClientSession() as session, asyncio.timeout(15):
            ws = await session.ws_connect(f"http://127.0.0.1:{ports[0]}/v1/crypto/ws")
            await ws.send_json({"subscribe": ["bitcoin"]})
            assert (await ws.receive_json())["type"] == "subscribed"
            assert (await ws.receive_json())["prices"] == {"bitcoin": 67187.33}
            gateways[0].terminate()
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.CLOSE
            assert message.data == 1001
    for gateway in gateways:
        log = gateway.text()
        assert gateway.stop() == 0, log
        assert "Traceback" not in log
        assert "DeprecationWarning" not in log


async def test_two_processes_and_a_failing_coingecko(
    tmp_path: Path, fake: FakeCoinGecko, redis_url: str, redis_namespace: str
):
    """200 requests over 50 questions to two processes while CoinGecko answers 500: each
    process spends at most circuit_failures + max_connections calls and logs one line."""
    circuit = """
        circuit_failures = 5
        circuit_open_for = 60
        max_connections = 10
        """
    async with two_gateways(tmp_path, fake, redis_url, redis_namespace, circuit) as gateways:
        ports = [gateway.port for gateway in gateways]
        fake.fail(500)
        async with aiohttp.ClientSession() as session, asyncio.timeout(30):

            async def ask(port: int, n: int) -> int:
                url = f"http://127.0.0.1:{port}/v1/crypto/coins/coin-{n % 50}/tickers"
                async with session.get(url) as response:
                    await response.read()
                    return response.status

            for _ in range(2):  # the second wave makes no call at all
                answers = await asyncio.gather(*(ask(ports[n % 2], n) for n in range(200)))
                assert set(answers) <= {502, 503}
                calls = fake.total_calls
                assert 5 <= calls <= 2 * (5 + 10)
    assert fake.total_calls == calls
    opened = 0
    for gateway in gateways:
        log = gateway.text()
        assert gateway.stop() == 0, log
        # At most the circuit's one line per process (a process whose questions all failed
        # in the other one first knows them as remembered failures and never opens it).
        coingecko_lines = [line for line in log.splitlines() if "CoinGecko" in line]
        assert len(coingecko_lines) <= 1, coingecko_lines
        opened += sum("circuit open" in line for line in coingecko_lines)
        assert "Traceback" not in log
    assert opened >= 1
