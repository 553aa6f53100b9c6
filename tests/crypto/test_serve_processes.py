"""Two real ``gateway serve`` processes sharing one Redis make one upstream call."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest

from tests.crypto.fake_coingecko import FakeCoinGecko
from tests.processes import free_port

pytestmark = pytest.mark.redis

START_TIMEOUT = 20.0
PRICE = "/v1/crypto/price?ids=bitcoin,ethereum&vs_currencies=usd"


async def start_gateway(config: Path, port: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "gateway", "serve", "--config", str(config), "--port", str(port)],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.returncode is not None:
            output = await process.stdout.read() if process.stdout else b""
            raise AssertionError(f"gateway exited at start:\n{output.decode()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return process
    process.kill()
    raise AssertionError("gateway did not start listening in time")


async def test_two_processes_one_redis_one_upstream_call(
    tmp_path: Path, fake: FakeCoinGecko, redis_url: str, redis_namespace: str
):
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
            cache_namespace = "{redis_namespace}"
            """
        )
    )
    ports = [free_port(), free_port()]
    processes = []
    stopping: set[int] = set()  # a second SIGTERM would kill a gateway that is shutting down
    try:
        for port in ports:
            processes.append(await start_gateway(config, port))
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
            stopping.add(processes[0].pid)
            processes[0].send_signal(signal.SIGTERM)
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.CLOSE
            assert message.data == 1001
    finally:
        for process in processes:
            if process.pid not in stopping:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                async with asyncio.timeout(15):
                    output, _ = await process.communicate()
            except TimeoutError:
                process.kill()
                raise
            log = output.decode()
            assert process.returncode == 0, log
            assert "Traceback" not in log
            assert "DeprecationWarning" not in log
