"""``gateway serve`` processes in front of an upstream process: 1 GiB each way with the
gateway's memory measured, ``--workers 2``, and /metrics scraped by instance and target."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import GatewayProcess, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GIB = 1024**3
PIECE = b"\xa5" * (1024 * 1024)


@contextmanager
def upstream_process() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.proxy.upstream", str(port), "big"], cwd=ROOT
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def write_config(folder: Path, upstream: str) -> Path:
    config = folder / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            access_log = false
            [plugins.health]
            [plugins.proxy]
            prefix = "/big"
            upstreams = ["{upstream}"]
            """
        ),
        encoding="utf-8",
    )
    return config


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def until_held_at(session: aiohttp.ClientSession, url: str) -> None:
    """Until a ``/slow?hold=1`` request has reached the upstream process at ``url``."""
    async with asyncio.timeout(10):
        while True:
            async with session.get(url + "/held") as response:
                if (await response.json())["held"]:
                    return
            await asyncio.sleep(0.01)


async def release_at(session: aiohttp.ClientSession, url: str) -> None:
    """Answer the requests the upstream process at ``url`` holds."""
    async with session.post(url + "/release") as response:
        assert response.status == 204


async def _wait_upstream(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(url + "/ping"):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise AssertionError("the upstream did not start")


async def test_one_gib_each_way_in_flat_memory(tmp_path: Path) -> None:
    with upstream_process() as upstream:
        gateway = GatewayProcess(write_config(tmp_path, upstream), tmp_path / "gateway.log")
        try:
            await _wait_upstream(upstream)
            await gateway.ready()
            pid = gateway.process.pid
            before = rss_bytes(pid)
            peak = [before]
            stop = asyncio.Event()

            async def watch() -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], rss_bytes(pid))
                    await asyncio.sleep(0.05)

            watcher = asyncio.ensure_future(watch())

            async def upload() -> AsyncIterator[bytes]:
                for _ in range(GIB // len(PIECE)):
                    yield PIECE

            timeout = aiohttp.ClientTimeout(total=240)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(f"{gateway.url}/big/up", data=upload()) as response:
                    echoed = await response.json()
                expected = hashlib.sha256()
                for _ in range(GIB // len(PIECE)):
                    expected.update(PIECE)
                assert echoed["size"] == GIB
                assert echoed["sha256"] == expected.hexdigest()
                received = 0
                async with session.get(f"{gateway.url}/big/stream?size={GIB}") as response:
                    assert response.headers["Content-Length"] == str(GIB)
                    async for piece in response.content.iter_any():
                        received += len(piece)
                assert received == GIB
            stop.set()
            await watcher
            growth = peak[0] - before
            print(f"gateway RSS {before / 2**20:.0f} MiB, peak +{growth / 2**20:.1f} MiB")
            assert growth < 64 * 2**20, f"RSS grew by {growth / 2**20:.0f} MiB"
        finally:
            gateway.stop()


async def test_two_workers_proxy(tmp_path: Path) -> None:
    with upstream_process() as upstream:
        config = write_config(tmp_path, upstream)
        config.write_text(config.read_text().replace("[gateway]\n", "[gateway]\nmetrics = true\n"))
        gateway = GatewayProcess(config, tmp_path / "gateway.log", "--workers", "2")
        try:
            await _wait_upstream(upstream)
            await gateway.ready()
            async with aiohttp.ClientSession() as session:
                for _ in range(20):
                    async with session.get(f"{gateway.url}/big/x?n=1") as response:
                        assert response.status == 200
                        body = await response.json()
                        assert body["raw_path"] == "/x?n=1"
                held = asyncio.ensure_future(session.get(f"{gateway.url}/big/slow?hold=1"))
                await until_held_at(session, upstream)
                # Whichever worker answers, the scrape sums both (multi-process mode): the
                # connection held in either one is counted.
                async with session.get(f"{gateway.url}/metrics") as response:
                    during = scraped(await response.text())
                await release_at(session, upstream)
                (await held).release()
            labels = {"instance": "proxy", "target": upstream}
            requests = (
                "gateway_proxy_requests_total",
                frozenset({**labels, "status_class": "2xx"}.items()),
            )
            assert during[requests] == 20
            assert during[("gateway_proxy_connections_in_use", frozenset(labels.items()))] == 1
        finally:
            assert gateway.stop() == 0, gateway.text()


def scraped(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a /metrics answer, by name and labels, as Prometheus parses it."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_by_instance_and_target_in_a_real_scrape(tmp_path: Path) -> None:
    """Two instances of the proxy in a gateway process: /metrics, scraped and parsed as
    Prometheus does, has each instance's series by its table's name and each target's:
    answers by status class, upstream and total latency, retries, ejections, connections."""
    down = f"http://127.0.0.1:{free_port()}"
    with upstream_process() as up:
        config = tmp_path / "plugins.toml"
        config.write_text(
            textwrap.dedent(
                f"""
                [gateway]
                metrics = true
                access_log = false
                [plugins.billing]
                plugin = "proxy"
                prefix = "/billing"
                upstreams = ["{up}", "{down}"]
                retries = 1
                eject_after = 2
                eject_for = 60
                [plugins.search]
                plugin = "proxy"
                prefix = "/search"
                upstreams = ["{up}"]
                """
            ),
            encoding="utf-8",
        )
        gateway = GatewayProcess(config, tmp_path / "gateway.log")
        try:
            await _wait_upstream(up)
            await gateway.listening()
            async with aiohttp.ClientSession() as session:
                for _ in range(6):  # round robin meets "down" twice: retried, then ejected
                    async with session.get(f"{gateway.url}/billing/x") as response:
                        assert response.status == 200
                for _ in range(3):
                    async with session.get(f"{gateway.url}/search/q") as response:
                        assert response.status == 200
                sent = time.monotonic()
                held = asyncio.ensure_future(session.get(f"{gateway.url}/search/slow?hold=1"))
                await until_held_at(session, up)
                async with session.get(f"{gateway.url}/metrics") as response:
                    assert response.status == 200
                    during = scraped(await response.text())
                # Held a second at least: its time must show in search's total below.
                await asyncio.sleep(max(0.0, 1.05 - (time.monotonic() - sent)))
                await release_at(session, up)
                (await held).release()
                async with session.get(f"{gateway.url}/metrics") as response:
                    after = scraped(await response.text())
        finally:
            gateway.stop()

    def value(samples: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
        return samples[(name, frozenset(labels.items()))]

    billing_up = {"instance": "billing", "target": up}
    billing_down = {"instance": "billing", "target": down}
    search_up = {"instance": "search", "target": up}
    assert value(during, "gateway_proxy_connections_in_use", **search_up) == 1
    assert value(after, "gateway_proxy_connections_in_use", **search_up) == 0
    assert value(after, "gateway_proxy_requests_total", status_class="2xx", **billing_up) == 6
    assert value(after, "gateway_proxy_requests_total", status_class="error", **billing_down) == 2
    assert value(after, "gateway_proxy_requests_total", status_class="2xx", **search_up) == 4
    assert value(after, "gateway_proxy_retries_total", **billing_up) == 2
    assert value(after, "gateway_proxy_ejections_total", **billing_down) == 1
    assert value(after, "gateway_proxy_ejections_total", **billing_up) == 0
    assert value(after, "gateway_proxy_target_available", **billing_down) == 0
    assert value(after, "gateway_proxy_target_available", **billing_up) == 1
    # Upstream latency per target (answers only), total per instance (every request).
    assert value(after, "gateway_proxy_upstream_seconds_count", **billing_up) == 6
    assert value(after, "gateway_proxy_upstream_seconds_count", **search_up) == 4
    assert value(after, "gateway_proxy_total_seconds_count", instance="billing") == 6
    assert value(after, "gateway_proxy_total_seconds_count", instance="search") == 4
    slow = value(after, "gateway_proxy_total_seconds_sum", instance="search")
    assert slow >= 1.0  # the held request's second is in the total, not in billing's
    assert value(after, "gateway_proxy_total_seconds_sum", instance="billing") < slow
    # The gateway's own request metric names the instances the same way.
    assert (
        value(
            after,
            "gateway_http_request_duration_seconds_count",
            plugin="billing",
            route="/billing/{tail}",
            method="GET",
            status="200",
        )
        == 6
    )
