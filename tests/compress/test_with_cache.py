"""The compress plugin inside the cache plugin (Priority.COMPRESSION 700 < DEFAULT 800): the
cache stores one encoded variant per Accept-Encoding under Vary, and a hit answers each client
in its own coding, byte for byte the identity answer once decoded."""

from __future__ import annotations

from typing import Any

from tests.compress.conftest import DOCUMENT, PLUGINS, decode


async def test_the_cache_keeps_a_variant_per_coding(gateway_client: Any, raw: Any) -> None:
    config = {
        "plugins": {
            "sample": {},
            "compress": {"apply_to": ["sample"]},
            "cache": {"apply_to": ["sample"], "ttl": 60},
        }
    }
    client = await gateway_client(config, plugins=PLUGINS, builtins=["compress", "cache"])
    url = client.make_url("/sample/document")
    seen: dict[str, list[str]] = {}
    for accept in ("gzip", "br", "identity", "gzip", "br", "identity", "zstd", "zstd"):
        async with raw.get(url, headers={"Accept-Encoding": accept}) as response:
            body = await response.read()
        coding = response.headers.get("Content-Encoding")
        assert coding == (None if accept == "identity" else accept)
        assert decode(coding, body) == DOCUMENT
        assert int(response.headers["Content-Length"]) == len(body)
        seen.setdefault(accept, []).append(response.headers["Cache-Status"])
    for accept, statuses in seen.items():
        first, second = statuses
        assert "hit" not in first.split("; "), (accept, first)
        assert second.split("; ")[1] == "hit", (accept, second)  # its own variant, stored
