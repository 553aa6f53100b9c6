"""Rate limits per JWT subject across `gateway serve --workers 2` on the shared Redis: each
worker verifies tokens with keys it fetched itself, and the subjects' buckets are one."""

from __future__ import annotations

import asyncio
import collections
from pathlib import Path

import aiohttp
import pytest

from tests.host.test_workers import Workers
from tests.jwt.provider import AUDIENCE, IdentityProvider, bearer

pytestmark = pytest.mark.slow


async def test_two_workers_count_each_subject_once_on_redis(
    tmp_path: Path, provider: IdentityProvider, redis_url: str, redis_namespace: str
) -> None:
    config = tmp_path / "plugins.toml"
    config.write_text(
        f"""
[gateway]
access_log = false
[plugins.health]
[plugins.jwt]
issuer = "{provider.issuer}"
audience = ["{AUDIENCE}"]
[plugins.ratelimit]
limits = ["7/hour"]
storage = "{redis_url}"
key_prefix = "{redis_namespace}"
storage_timeout = 3
exempt = []  # /health is outside rate limiting by default: counted here
"""
    )
    group = Workers(config, tmp_path / "gateway.log")
    try:
        await group.started()
        # Each worker fetches the keys at its start; the second may still be starting.
        for _ in range(100):
            if provider.fetches >= 2:
                break
            await asyncio.sleep(0.1)
        assert provider.fetches == 2
        # A new connection per request, so both workers take their share.
        connector = aiohttp.TCPConnector(force_close=True, limit=20)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(subject: str) -> tuple[str, int]:
                token = provider.token(subject)  # a new token each time, same subject
                async with session.get(f"{group.url}/health/live", headers=bearer(token)) as r:
                    return subject, r.status

            seen = await asyncio.gather(*(one(s) for s in ["ada", "bob"] * 20))
            async with session.get(f"{group.url}/health/live") as anonymous:
                assert anonymous.status == 200  # the address is a third caller
    finally:
        group.stop()
    admitted = collections.Counter(subject for subject, status in seen if status == 200)
    assert admitted == {"ada": 7, "bob": 7}, collections.Counter(seen)
    assert collections.Counter(status for _, status in seen) == {200: 14, 429: 26}
    assert "Traceback" not in group.text()
