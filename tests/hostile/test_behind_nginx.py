"""Behind real nginx with docs/deploy.md's config (issue 34): a client's own forwarding headers
choose neither its rate-limit bucket nor its wrong-key guard nor the host of ``Location``.

nginx connects to the gateway from 127.0.0.2 (the trusted proxy); the test's clients connect to
nginx from other loopback addresses, as clients on the internet would from theirs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.testing import gateway_app
from gateway_plugins.auth.keyring import hash_key
from tests.nginx import NGINX_SOURCE, Nginx

WRITER = "gw_writer-key-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
async def behind_nginx(aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[str]:
    config = {
        "gateway": {"trusted_proxies": [NGINX_SOURCE]},
        "plugins": {
            "health": {},
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "ratelimit": {"limits": ["5/minute"], "by": "address"},
            "auth": {"keys": {"ci": {"hash": hash_key(WRITER), "scopes": ["write"]}}},
        },
    }
    gateway = await aiohttp_client(await gateway_app(config, config_dir=tmp_path))
    nginx = Nginx(tmp_path / "nginx", gateway.port)
    try:
        yield nginx.url
    finally:
        nginx.stop()


Send = Callable[..., Awaitable[tuple[int, dict[str, str]]]]


def client_at(url: str, source: str) -> Send:
    """Requests to nginx from the loopback address ``source``."""

    async def send(method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, str]]:
        connector = aiohttp.TCPConnector(local_addr=(source, 0))
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.request(method, url + path, **kwargs) as response,
        ):
            await response.read()
            return response.status, dict(response.headers)

    return send


async def test_a_rotating_forwarded_for_is_not_a_new_client(behind_nginx):
    send = client_at(behind_nginx, "127.0.0.3")
    statuses = [
        (await send("GET", "/notes", headers={"Forwarded": f"for=10.1.0.{i}"}))[0]
        for i in range(10)
    ]
    assert statuses == [200] * 5 + [429] * 5


async def test_a_rotating_x_forwarded_for_is_not_a_new_client(behind_nginx):
    # nginx appends the real address; the gateway reads from the right.
    send = client_at(behind_nginx, "127.0.0.3")
    statuses = [
        (await send("GET", "/notes", headers={"X-Forwarded-For": f"10.1.0.{i}"}))[0]
        for i in range(8)
    ]
    assert statuses == [200] * 5 + [429] * 3


async def test_a_forwarded_host_does_not_move_location(behind_nginx):
    send = client_at(behind_nginx, "127.0.0.3")
    auth = {"Authorization": f"Bearer {WRITER}"}
    for spoof in (
        {"Forwarded": "for=10.9.9.9;host=evil.example;proto=https"},
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "8443"},
    ):
        status, headers = await send("POST", "/notes", json={"title": "t"}, headers=auth | spoof)
        assert status == 201
        # Host $host (no port) and X-Forwarded-Proto $scheme, as nginx wrote them.
        assert headers["Location"].startswith("http://127.0.0.1/notes/"), headers["Location"]


async def test_wrong_keys_naming_a_victim_do_not_lock_the_victim_out(behind_nginx):
    attacker = client_at(behind_nginx, "127.0.0.3")
    victim = client_at(behind_nginx, "127.0.0.4")
    wrong = {"Authorization": "Bearer gw_wrong-key"}
    statuses = []
    for i in range(12):
        spoof = {"Forwarded": "for=127.0.0.4", "X-Forwarded-For": f"127.0.0.{i + 10}"}
        statuses.append((await attacker("POST", "/notes", json={}, headers=wrong | spoof))[0])
    # auth's max_failures (10/minute) for the attacker's own address only.
    assert statuses == [401] * 10 + [429] * 2
    auth = {"Authorization": f"Bearer {WRITER}"}
    status, _ = await victim("POST", "/notes", json={"title": "mine"}, headers=auth)
    assert status == 201
