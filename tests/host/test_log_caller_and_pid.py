"""Access lines name the caller (an API key's name, never the key) in both formats, and under
`--workers` every line names the process that wrote it. Real `gateway serve` processes."""

from __future__ import annotations

import hashlib
import json
import re

import aiohttp
import pytest

from tests.host import plugin_sources
from tests.host.test_workers import BOOT_TIMEOUT
from tests.processes import GatewayProcess

KEY = "gw_" + "k" * 43
KEY_HASH = "sha256:" + hashlib.sha256(KEY.encode()).hexdigest()


@pytest.fixture
def config_with_key(write_config, plugin_folder):
    plugin_folder(whoami=plugin_sources.WHOAMI)

    def config(log_format: str) -> object:
        return write_config(
            f"""
            [gateway]
            plugin_dirs = ["my_plugins"]
            shutdown_timeout = 5
            log_format = "{log_format}"
            [plugins.health]
            [plugins.whoami]
            [plugins.auth.keys.ci-bot]
            hash = "{KEY_HASH}"
            scopes = ["write"]
            """
        )

    return config


async def _ask(url: str, request_id: str, key: str | None = None) -> int:
    headers = {"X-Request-ID": request_id}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(f"{url}/whoami", headers=headers) as response,
    ):
        assert response.status == 200
        return int((await response.json())["pid"])


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_access_line_names_the_key_never_the_key_itself(
    config_with_key, tmp_path, log_format
):
    gateway = GatewayProcess(config_with_key(log_format), tmp_path / "gateway.log")
    try:
        await gateway.ready()
        await _ask(gateway.url, "with-key", KEY)
        await _ask(gateway.url, "anonymous")
    finally:
        assert gateway.stop() == 0
    log = gateway.text()
    assert KEY not in log
    if log_format == "json":
        records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        access = {r["request_id"]: r for r in records if r["logger"] == "aiohttp.access"}
        assert access["with-key"]["user"] == "ci-bot"
        assert access["anonymous"]["user"] is None
        assert "pid" not in access["with-key"]  # one process: nothing to tell apart
    else:
        lines = {
            rid: line
            for line in log.splitlines()
            for rid in ("with-key", "anonymous")
            if f"[{rid}]" in line
        }
        assert re.search(r" 200 \d+B [\d.]+ms whoami ci-bot \"Python/", lines["with-key"])
        assert re.search(r" 200 \d+B [\d.]+ms whoami - \"Python/", lines["anonymous"])


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_every_line_under_workers_names_its_process(config_with_key, tmp_path, log_format):
    gateway = GatewayProcess(
        config_with_key(log_format), tmp_path / "gateway.log", "--workers", "2"
    )
    answered: dict[str, int] = {}
    try:
        await gateway.logged(r"Booting worker", 2, within=BOOT_TIMEOUT)
        await gateway.ready(within=BOOT_TIMEOUT)
        for i in range(12):
            answered[f"req-{i}"] = await _ask(gateway.url, f"req-{i}", KEY)
    finally:
        assert gateway.stop() == 0
    lines = [line for line in gateway.text().splitlines() if line.strip()]
    pids: set[int] = set()
    seen: dict[str, int] = {}
    for line in lines:
        if log_format == "json":
            record = json.loads(line)
            assert isinstance(record.get("pid"), int), line
            pid = record["pid"]
            if record["logger"] == "aiohttp.access":
                seen[record["request_id"]] = pid
                if record["request_id"].startswith("req-"):
                    assert record["user"] == "ci-bot"
        else:
            # The gateway's lines: TIME [PID] LEVEL ...; gunicorn's own: [TIME] [PID] [LEVEL].
            found = re.match(r"^\S+ \S+ \[(\d+)\] [A-Z]+ ", line) or re.match(
                r"^\[[^]]+\] \[(\d+)\] \[[A-Z]+\] ", line
            )
            assert found, line
            pid = int(found.group(1))
            access = re.search(r" aiohttp\.access \[([^]]+)\] ", line)
            if access:
                seen[access.group(1)] = pid
                if access.group(1).startswith("req-"):
                    assert " ci-bot " in line
        pids.add(pid)
    # Each access line names the worker that answered its request; the other lines name the
    # master and the workers, nothing else.
    for request_id, pid in answered.items():
        assert seen[request_id] == pid
    assert set(answered.values()) <= pids
    assert pids <= {gateway.process.pid, *answered.values()} | _workers_booted(lines)


def _workers_booted(lines: list[str]) -> set[int]:
    return {
        int(m.group(1))
        for line in lines
        for m in [re.search(r"Booting worker with pid: (\d+)", line)]
        if m
    }
