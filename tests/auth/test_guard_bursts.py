"""The wrong-key guard under concurrent bursts (issue 34): a slot is reserved before a key is
checked, so of 100 or 200 wrong keys sent at once from one address at most ``max_failures`` are
checked (401), the rest refused unchecked (429); across ``--workers 2`` too when the counts are
in Redis; and ``lockout = "wrong-keys"`` keeps a right key from a guarded address working."""

from __future__ import annotations

import asyncio
import collections
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from gateway.testing import gateway_app
from gateway_plugins.auth.keyring import hash_key
from tests.host.test_workers import Workers
from tests.processes import free_port

WRITER = "gw_writer-key-0123456789abcdefghijklmnopqrstuvwxyz"
KEYS = {"ci": {"hash": hash_key(WRITER), "scopes": ["write"]}}


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(**auth: Any) -> TestClient:
        config = {"plugins": {"health": {}, "auth": {"keys": KEYS, **auth}}}
        return await aiohttp_client(await gateway_app(config, config_dir=tmp_path))

    return build


def wrong(i: int) -> dict[str, str]:
    return {"Authorization": f"Bearer gw_wrong-{i}"}


RIGHT = {"Authorization": f"Bearer {WRITER}"}


async def burst(client: TestClient, count: int) -> collections.Counter[int]:
    answers = await asyncio.gather(
        *(client.post("/health/live", headers=wrong(i)) for i in range(count))
    )
    return collections.Counter(answer.status for answer in answers)


@pytest.mark.parametrize("count", [100, 200])
async def test_a_concurrent_burst_checks_at_most_the_limit(make, count):
    client = await make()
    assert await burst(client, count) == {401: 10, 429: count - 10}
    assert await burst(client, count) == {429: count}  # and nothing more in the window


async def test_right_keys_take_no_slot(make):
    client = await make()
    for _ in range(30):
        assert (await client.get("/health/live", headers=RIGHT)).status == 200
    assert await burst(client, 12) == {401: 10, 429: 2}


async def test_a_locked_address_locks_right_keys_out_by_default(make):
    client = await make()
    await burst(client, 10)
    locked = await client.get("/health/live", headers=RIGHT)
    assert locked.status == 429 and int(locked.headers["Retry-After"]) >= 1


async def test_lockout_wrong_keys_lets_a_right_key_through(make):
    client = await make(lockout="wrong-keys")
    assert await burst(client, 150) == {401: 10, 429: 140}
    assert (await client.get("/health/live", headers=RIGHT)).status == 200
    assert (await client.post("/health/live", headers=wrong(0))).status == 429


async def test_an_unreachable_redis_falls_back_to_memory_counts(make, caplog):
    client = await make(failures_storage=f"redis://127.0.0.1:{free_port()}/0")
    assert await burst(client, 30) == {401: 10, 429: 20}
    assert (await client.get("/health/live", headers=RIGHT)).status == 429
    assert "auth failures_storage does not answer" in caplog.text
    assert caplog.text.count("auth failures_storage does not answer") == 1


@pytest.mark.slow
@pytest.mark.parametrize("count", [100, 200])
async def test_two_workers_on_one_redis_check_at_most_the_limit(
    tmp_path: Path, redis_url: str, redis_namespace: str, count: int
) -> None:
    path = tmp_path / "plugins.toml"
    path.write_text(
        "[gateway]\naccess_log = false\n[plugins.health]\n[plugins.auth]\n"
        f'failures_storage = "{redis_url}"\nkey_prefix = "{redis_namespace}"\n'
        "failures_storage_timeout = 3\n"
        f'[plugins.auth.keys.ci]\nhash = "{hash_key(WRITER)}"\nscopes = ["write"]\n'
    )
    group = await Workers(path, tmp_path / "gateway.log").started()
    try:
        # A connection per request: the kernel spreads them over both workers.
        connector = aiohttp.TCPConnector(force_close=True, limit=count)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(i: int) -> int:
                async with session.post(f"{group.url}/health/live", headers=wrong(i)) as answer:
                    return answer.status

            seen = collections.Counter(await asyncio.gather(*(one(i) for i in range(count))))
            async with session.get(f"{group.url}/health/live", headers=RIGHT) as answer:
                right = answer.status
    finally:
        group.stop()
    assert seen == {401: 10, 429: count - 10}, (seen, group.text())
    assert right == 429
    log = group.text()
    assert "does not answer" not in log and "Traceback" not in log
    pids = {line.split("pid: ")[1].strip() for line in log.splitlines() if "Booting worker" in line}
    assert len(pids) == 2


async def test_an_unknown_failures_storage_is_a_config_error():
    from gateway.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        await gateway_app({"plugins": {"auth": {"failures_storage": "mongodb://db/0"}}})
    assert "plugins.auth.failures_storage" in str(caught.value)
    assert "redis://host:6379/0" in str(caught.value)
