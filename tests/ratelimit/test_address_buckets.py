"""Addresses as buckets (issue 34): an IPv6 client is counted by its network ([gateway]
ipv6_prefix, default /64), an IPv4-mapped address as the IPv4 address, in rate limits and in
auth's wrong-key guard, so rotating through one's own /64 buys no more requests or guesses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway import address_bucket
from gateway.testing import gateway_app


@pytest.fixture
def make(aiohttp_client: Any, tmp_path: Path):
    async def build(**gateway: Any) -> TestClient:
        config = {
            # The test client connects from 127.0.0.1: a trusted proxy, so the client is the
            # address X-Forwarded-For names.
            "gateway": {"trusted_proxies": ["127.0.0.1"], **gateway},
            "plugins": {
                "health": {},
                # exempt = []: the probe is the path these tests limit.
                "ratelimit": {"limits": ["5/minute"], "by": "address", "exempt": []},
                "auth": {},
            },
        }
        return await aiohttp_client(await gateway_app(config, config_dir=tmp_path))

    return build


def forwarded_for(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def statuses(client: TestClient, addresses: list[str], **headers: str) -> list[int]:
    answers = []
    for address in addresses:
        response = await client.get("/health/live", headers={**forwarded_for(address), **headers})
        answers.append(response.status)
    return answers


async def test_rotating_through_one_ipv6_network_is_one_bucket(make):
    client = await make()
    rotating = [f"2001:db8::{i:x}" for i in range(1, 9)]
    assert await statuses(client, rotating) == [200] * 5 + [429] * 3
    # Another /64 is another client.
    assert await statuses(client, ["2001:db8:0:1::1"]) == [200]


async def test_the_prefix_is_the_operators(make):
    client = await make(ipv6_prefix=128)  # every address its own bucket
    rotating = [f"2001:db8::{i:x}" for i in range(1, 9)]
    assert await statuses(client, rotating) == [200] * 8


async def test_an_ipv4_mapped_address_is_the_ipv4_address(make):
    client = await make()
    both = ["203.0.113.9", "::ffff:203.0.113.9"] * 3
    assert await statuses(client, both) == [200] * 5 + [429]


async def test_wrong_keys_from_one_ipv6_network_share_the_guard(make):
    client = await make()
    wrong = {"Authorization": "Bearer gw_wrong-key"}
    rotating = [f"2001:db8::{i:x}" for i in range(1, 13)]
    answers = []
    for address in rotating:
        response = await client.post("/health/live", headers={**forwarded_for(address), **wrong})
        answers.append(response.status)
    # auth's default max_failures is 10/minute: the eleventh guess from the /64 is refused
    # before its key is checked (a 429), whichever address of the network sends it.
    assert answers[:10] == [401] * 10
    assert answers[10:] == [429, 429]


def test_buckets():
    assert address_bucket("203.0.113.9") == "203.0.113.9"
    assert address_bucket("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_bucket("2001:db8::7") == "2001:db8::/64"
    assert address_bucket("2001:db8:1:2:3::7", 48) == "2001:db8:1::/48"
    assert address_bucket("-") == "-"
