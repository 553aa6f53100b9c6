"""The metrics an operator looks for (issue 35): build and config, requests in flight, each
process's CPU, memory and descriptors, and reload outcomes, scraped from real `gateway serve`
processes and parsed as Prometheus parses them."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import textwrap
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.host import plugin_sources
from tests.processes import GatewayProcess

CONFIG = """
[gateway]
plugin_dirs = ["my_plugins"]
shutdown_timeout = 3
metrics = true
[plugins.health]
[plugins.slow]
"""


def samples(scrape: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(scrape):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def project(tmp_path: Path, text: str = CONFIG) -> Path:
    (tmp_path / "my_plugins").mkdir(exist_ok=True)
    (tmp_path / "my_plugins" / "slow.py").write_text(plugin_sources.SLOW)
    config = tmp_path / "plugins.toml"
    config.write_text(textwrap.dedent(text))
    return config


async def scrape(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(f"{url}/metrics") as response:
        assert response.status == 200
        return samples(await response.text())


async def test_build_config_process_and_in_flight_in_one_process(tmp_path: Path):
    config = project(tmp_path)
    gateway = GatewayProcess(config, tmp_path / "gateway.log")
    try:
        await gateway.ready()
        async with aiohttp.ClientSession() as session:
            # Two requests held in the slow plugin while the scrape is taken.
            held = [
                asyncio.create_task(session.get(f"{gateway.url}/slow/?seconds=2")) for _ in range(2)
            ]
            await asyncio.sleep(0.5)
            during = await scrape(session, gateway.url)
            for task in held:
                (await task).release()
            after = await scrape(session, gateway.url)
            async with session.get(f"{gateway.url}/_gateway/status") as response:
                status = await response.json()
    finally:
        assert gateway.stop() == 0, gateway.text()

    digest = hashlib.sha256(config.read_bytes()).hexdigest()[:16]
    import aiohttp as client_library  # the version the gateway reports is the installed one

    ((labels, value),) = during["gateway_build_info"]
    assert value == 1 and labels["aiohttp"] == client_library.__version__
    assert during["gateway_config_info"] == [({"hash": digest}, 1.0)]
    assert status["config"] == {"hash": digest, "last_reload": None}

    flying = {
        labels["plugin"]: value for labels, value in during["gateway_http_requests_in_flight"]
    }
    assert flying["slow"] == 2
    assert flying["gateway"] == 1  # the scrape itself
    flying_after = {
        labels["plugin"]: value for labels, value in after["gateway_http_requests_in_flight"]
    }
    assert flying_after["slow"] == 0

    ((_, memory),) = during["gateway_process_resident_memory_bytes"]
    ((_, fds),) = during["gateway_process_open_fds"]
    ((_, limit),) = during["gateway_process_max_fds"]
    ((_, cpu),) = after["gateway_process_cpu_seconds"]
    assert 10 * 2**20 < memory < 2**32
    assert 5 < fds < limit
    assert cpu > 0


@pytest.mark.slow
async def test_every_worker_is_described_and_reloads_are_counted(tmp_path: Path):
    config = project(tmp_path)
    folder = tmp_path / "metrics"
    folder.mkdir()
    gateway = GatewayProcess(
        config,
        tmp_path / "gateway.log",
        "--workers",
        "2",
        env={"PROMETHEUS_MULTIPROC_DIR": str(folder)},
    )
    try:
        await gateway.ready()
        async with aiohttp.ClientSession() as session:
            for _ in range(100):  # until both workers have started and read themselves
                first = await scrape(session, gateway.url)
                if len(first.get("gateway_process_resident_memory_bytes", [])) == 2:
                    break
                await asyncio.sleep(0.1)
            old_hash = hashlib.sha256(config.read_bytes()).hexdigest()[:16]

            # A file that does not validate: refused, counted, and named in the status.
            good = config.read_text()
            config.write_text(good + "\n[gateway.nonsense]\n")
            gateway.process.send_signal(signal.SIGHUP)
            await gateway.logged("reload refused")
            refused = await scrape(session, gateway.url)
            async with session.get(f"{gateway.url}/_gateway/status") as response:
                after_refusal = (await response.json())["config"]

            config.write_text(good.replace("shutdown_timeout = 3", "shutdown_timeout = 2"))
            new_hash = hashlib.sha256(config.read_bytes()).hexdigest()[:16]
            gateway.process.send_signal(signal.SIGHUP)
            await gateway.logged("reload done")
            # The old workers drain and exit: then only the new file's hash is served.
            for _ in range(300):
                done = await scrape(session, gateway.url)
                if {labels["hash"] for labels, _ in done["gateway_config_info"]} == {new_hash}:
                    break
                await asyncio.sleep(0.1)
            async with session.get(f"{gateway.url}/_gateway/status") as response:
                after_reload = (await response.json())["config"]
    finally:
        assert gateway.stop() == 0, gateway.text()

    pids = {labels["pid"] for labels, _ in first["gateway_process_resident_memory_bytes"]}
    assert len(pids) == 2, first["gateway_process_resident_memory_bytes"]
    assert {labels["hash"] for labels, _ in first["gateway_config_info"]} == {old_hash}
    assert ({"outcome": "refused"}, 1.0) in refused["gateway_config_reloads_total"]
    assert after_refusal["last_reload"]["outcome"] == "refused"
    assert "nonsense" in after_refusal["last_reload"]["detail"]

    assert {labels["hash"] for labels, _ in done["gateway_config_info"]} == {new_hash}, (
        done["gateway_config_info"],
        gateway.text()[-3000:],
    )
    assert ({"outcome": "done"}, 1.0) in done["gateway_config_reloads_total"]
    assert after_reload["hash"] == new_hash
    assert after_reload["last_reload"]["outcome"] == "done"
    assert os.getpid() not in {int(p) for p in pids}
