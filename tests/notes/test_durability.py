"""Every write acknowledged with a 2xx survives a SIGKILL of the gateway process."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.processes import free_port

REPO = Path(__file__).resolve().parents[2]


def start_gateway(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GATEWAY_LOAD_PLUGINS": "notes"}
    command = [
        sys.executable,
        "-m",
        "gateway",
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
    ]
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)


def fail_with_log(reason: str, log: Path) -> None:
    pytest.fail(f"{reason}; its output:\n{log.read_text()}")


async def wait_until_serving(
    session: aiohttp.ClientSession, base: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail_with_log(f"the gateway exited with {process.returncode}", log)
        try:
            async with session.get(f"{base}/notes?limit=1") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    fail_with_log("the gateway did not serve within 30 s", log)


async def test_acknowledged_writes_survive_sigkill(database_url, tmp_path):
    config = tmp_path / "plugins.toml"
    config.write_text(
        f'[gateway]\naccess_log = false\n[plugins.notes]\ndatabase_url = "{database_url}"\n'
    )
    log = tmp_path / "gateway.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    timeout = aiohttp.ClientTimeout(total=10)
    acknowledged: dict[int, dict] = {}
    process = start_gateway(config, port, log)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await wait_until_serving(session, base, process, log)

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
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            await asyncio.gather(*in_flight, return_exceptions=True)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert len(acknowledged) >= 40

    process = start_gateway(config, port, log)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await wait_until_serving(session, base, process, log)
            for note_id, note in acknowledged.items():
                async with session.get(f"{base}/notes/{note_id}") as response:
                    assert response.status == 200, note_id
                    assert await response.json() == note
    finally:
        process.terminate()
        process.wait(timeout=30)
