"""Every write acknowledged with a 2xx survives a SIGKILL of the gateway process."""

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from tests.processes import GatewayProcess

REPO = Path(__file__).resolve().parents[2]
ONLY_NOTES = {"GATEWAY_LOAD_PLUGINS": "notes"}


async def wait_until_serving(session: aiohttp.ClientSession, gateway: GatewayProcess) -> None:
    """Once notes answers a read: its database opened and migrated (no health plugin here)."""
    await gateway.listening()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if gateway.process.poll() is not None:
            pytest.fail(f"the gateway exited with {gateway.process.returncode}:\n{gateway.text()}")
        try:
            async with session.get(f"{gateway.url}/notes?limit=1") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    pytest.fail(f"the gateway did not serve within 30 s; its output:\n{gateway.text()}")


async def test_acknowledged_writes_survive_sigkill(database_url, tmp_path):
    config = tmp_path / "plugins.toml"
    config.write_text(
        f'[gateway]\naccess_log = false\n[plugins.notes]\ndatabase_url = "{database_url}"\n'
    )
    timeout = aiohttp.ClientTimeout(total=10)
    acknowledged: dict[int, dict] = {}
    first = GatewayProcess(config, tmp_path / "gateway-1.log", env=ONLY_NOTES, cwd=REPO)
    base = first.url
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await wait_until_serving(session, first)

            async def post(i: int) -> None:
                async with session.post(
                    f"{base}/notes", json={"title": f"durable {i}", "priority": i}
                ) as response:
                    if response.status == 201:
                        note = await response.json()
                        acknowledged[note["id"]] = note

            await asyncio.gather(*(post(i) for i in range(40)))
            # The last writes are in flight when the process dies: only acknowledged ones count.
            async with session.patch(
                f"{base}/notes/1", json={"title": "patched before the kill"}
            ) as response:
                assert response.status == 200
                acknowledged[1] = await response.json()
            in_flight = [asyncio.create_task(post(i)) for i in range(40, 60)]
            await asyncio.sleep(0.01)
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            await asyncio.gather(*in_flight, return_exceptions=True)
    finally:
        if first.process.poll() is None:
            first.process.kill()
            first.process.wait(timeout=10)
    assert len(acknowledged) >= 40

    second = GatewayProcess(config, tmp_path / "gateway-2.log", env=ONLY_NOTES, cwd=REPO)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await wait_until_serving(session, second)
            for note_id, note in acknowledged.items():
                async with session.get(f"{second.url}/notes/{note_id}") as response:
                    assert response.status == 200, note_id
                    assert await response.json() == note
    finally:
        second.stop(30)
