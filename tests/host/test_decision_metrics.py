"""Auth and rate-limit decisions in /metrics (issue 35), from real `gateway serve` processes:
each decision counted once by result and reason (auth) or policy and result (ratelimit), with
no key, identity or address among the label values, in one process and summed over the
workers of `--workers 2`, a reload included."""

from __future__ import annotations

import asyncio
import hashlib
import signal
import textwrap
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.host import plugin_sources
from tests.processes import GatewayProcess

OPS_KEY = "ops-key-5c1d9e"  # scope admin
CI_KEY = "ci-key-77b2f0"  # scope write
AUTH_LABELS = {
    "result": {"allowed", "denied"},
    "reason": {
        "public",
        "authenticated",
        "missing_credential",
        "invalid_credential",
        "insufficient_scope",
        "locked_out",
    },
}


def _hash(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def project(tmp_path: Path, ratelimit: str) -> Path:
    (tmp_path / "my_plugins").mkdir(exist_ok=True)
    (tmp_path / "my_plugins" / "whoami.py").write_text(plugin_sources.WHOAMI)
    config = tmp_path / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            plugin_dirs = ["my_plugins"]
            metrics = true
            shutdown_timeout = 3
            [plugins.health]
            [plugins.whoami]
            [plugins.auth]
            apply_to = ["whoami", "/_gateway"]
            max_failures = "3/minute"
            [plugins.auth.keys.ops]
            hash = "{_hash(OPS_KEY)}"
            scopes = ["admin"]
            [plugins.auth.keys.ci]
            hash = "{_hash(CI_KEY)}"
            scopes = ["write"]
            """
        )
        + textwrap.dedent(ratelimit)
    )
    return config


def decisions(scrape: str) -> dict[str, dict[tuple[str, ...], float]]:
    """Both counters' samples by their labels' values, in label order."""
    found: dict[str, dict[tuple[str, ...], float]] = {"auth": {}, "ratelimit": {}}
    for family in text_string_to_metric_families(scrape):
        for sample in family.samples:
            if sample.name == "gateway_auth_decisions_total":
                labels = sample.labels
                found["auth"][(labels["instance"], labels["result"], labels["reason"])] = (
                    sample.value
                )
            elif sample.name == "gateway_ratelimit_decisions_total":
                labels = sample.labels
                found["ratelimit"][(labels["instance"], labels["policy"], labels["result"])] = (
                    sample.value
                )
    return found


async def scrape(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(f"{url}/metrics") as response:
        assert response.status == 200
        return decisions(await response.text())


async def test_each_decision_is_counted_once_by_result_reason_and_policy(tmp_path: Path):
    config = project(
        tmp_path,
        """
        [plugins.ratelimit]
        apply_to = ["whoami", "/_gateway"]
        limits = ["4/minute"]
        [plugins.ratelimit.overrides."/_gateway"]
        limits = ["100/minute"]
        """,
    )
    gateway = GatewayProcess(config, tmp_path / "gateway.log")
    statuses = []
    try:
        await gateway.ready()
        async with aiohttp.ClientSession() as session:
            before = await scrape(session, gateway.url)
            steps = [
                *[("/whoami/", {})] * 5,  # public; 4 within the limit, then 429
                ("/_gateway/plugins", {"X-API-Key": OPS_KEY}),  # authenticated
                ("/_gateway/plugins", {"X-API-Key": CI_KEY}),  # 403: scope
                ("/_gateway/plugins", {}),  # 401: no credential
                # Not shaped like a key: left to other providers, refused by the rules (a
                # wrong-key slot of the address's three).
                ("/_gateway/plugins", {"Authorization": "Bearer opaque-token-31"}),
                ("/_gateway/plugins", {"X-API-Key": "wrong-key-1"}),  # 401, second slot
                ("/_gateway/plugins", {"X-API-Key": "wrong-key-2"}),  # 401, third slot
                ("/_gateway/plugins", {"X-API-Key": OPS_KEY}),  # 429: locked out, right or not
            ]
            for path, headers in steps:
                async with session.get(f"{gateway.url}{path}", headers=headers) as response:
                    statuses.append(response.status)
            after = await scrape(session, gateway.url)
    finally:
        assert gateway.stop() == 0, gateway.text()

    assert statuses == [200, 200, 200, 200, 429, 200, 403, 401, 401, 401, 401, 429]
    # Every series exists from the start, at 0.
    assert set(before["auth"]) == {
        ("auth", "allowed", "public"),
        ("auth", "allowed", "authenticated"),
        ("auth", "denied", "missing_credential"),
        ("auth", "denied", "invalid_credential"),
        ("auth", "denied", "insufficient_scope"),
        ("auth", "denied", "locked_out"),
    }
    assert set(before["auth"].values()) == {0.0}
    assert after["auth"] == {
        ("auth", "allowed", "public"): 5,
        ("auth", "allowed", "authenticated"): 1,
        ("auth", "denied", "missing_credential"): 1,
        ("auth", "denied", "invalid_credential"): 3,
        ("auth", "denied", "insufficient_scope"): 1,
        ("auth", "denied", "locked_out"): 1,
    }
    # Auth runs first (its two stages are outside the limit's): what it refused is never
    # counted against a rate.
    assert after["ratelimit"] == {
        ("ratelimit", "default", "admitted"): 4,
        ("ratelimit", "default", "limited"): 1,
        ("ratelimit", "/_gateway", "admitted"): 1,
        ("ratelimit", "/_gateway", "limited"): 0,
    }
    # Those are all the series: no key, name or address is ever a label value.


@pytest.mark.slow
async def test_workers_decisions_add_up_and_survive_a_reload(tmp_path: Path):
    # One rate, no overrides: the one-rate middleware, the edge benchmark's.
    config = project(
        tmp_path,
        """
        [plugins.ratelimit]
        apply_to = ["whoami"]
        limits = ["100000/minute"]
        """,
    )
    folder = tmp_path / "metrics"
    folder.mkdir()
    gateway = GatewayProcess(
        config,
        tmp_path / "gateway.log",
        "--workers",
        "2",
        env={"PROMETHEUS_MULTIPROC_DIR": str(folder)},
    )
    pids: set[int] = set()
    try:
        await gateway.ready()
        async with aiohttp.ClientSession() as session:

            async def some_requests(count: int) -> None:
                # Each on a connection of its own, staggered, blocking its worker a little: a
                # request arriving while one worker blocks is accepted by the other.
                connector = aiohttp.TCPConnector(force_close=True)
                async with aiohttp.ClientSession(connector=connector) as fresh:

                    async def one(i: int) -> None:
                        await asyncio.sleep(i * 0.01)
                        async with fresh.get(f"{gateway.url}/whoami/?block=0.05") as response:
                            assert response.status == 200
                            pids.add((await response.json())["pid"])

                    await asyncio.gather(*(one(i) for i in range(count)))

            await some_requests(20)
            # Each worker flushes its counts at least every 5 s, and before its own scrapes.
            for _ in range(100):
                first = await scrape(session, gateway.url)
                if first["ratelimit"].get(("ratelimit", "default", "admitted")) == 20:
                    break
                await asyncio.sleep(0.1)
            served_before_reload = set(pids)

            # More, then a reload at once: the old workers' last counts are flushed as they
            # stop, and the master archives them; nothing is lost or counted twice.
            await some_requests(20)
            gateway.process.send_signal(signal.SIGHUP)
            await gateway.logged("reload done")
            for _ in range(300):  # until the old workers have exited (their series gone)
                async with session.get(f"{gateway.url}/metrics") as response:
                    serving = _pids(await response.text())
                if serving and not serving & pids:
                    break
                await asyncio.sleep(0.1)
            after = await scrape(session, gateway.url)
            async with session.get(
                f"{gateway.url}/metrics",
                headers={"Accept": "application/openmetrics-text; version=1.0.0"},
            ) as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("application/openmetrics-text")
                assert (await response.text()).endswith("# EOF\n")
    finally:
        assert gateway.stop() == 0, gateway.text()

    assert len(served_before_reload) == 2, "one worker served every request"
    assert first["ratelimit"][("ratelimit", "default", "admitted")] == 20
    assert first["auth"][("auth", "allowed", "public")] == 20
    assert not serving & pids, serving
    assert after["ratelimit"][("ratelimit", "default", "admitted")] == 40
    assert after["auth"][("auth", "allowed", "public")] == 40
    assert after["ratelimit"][("ratelimit", "default", "limited")] == 0


def _pids(scrape: str) -> set[int]:
    """The processes that serve now: those with a memory series (a pid label per worker)."""
    return {
        int(sample.labels["pid"])
        for family in text_string_to_metric_families(scrape)
        for sample in family.samples
        if sample.name == "gateway_process_resident_memory_bytes"
    }
