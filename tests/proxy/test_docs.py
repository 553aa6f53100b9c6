"""docs/proxy.md's five-minute configuration works as the page says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import gateway_plugins.auth as auth_plugin
import gateway_plugins.cors as cors_plugin
import gateway_plugins.proxy as proxy_plugin
import gateway_plugins.ratelimit as ratelimit_plugin
from gateway.testing import assert_problem
from gateway_plugins.auth.keyring import hash_key
from tests.proxy.conftest import url_of

PAGE = Path(__file__).resolve().parents[2] / "docs" / "proxy.md"
KEY = "gw_billing_ui_0123456789abcdef0123456789ab"


def five_minute_config() -> dict:
    section = PAGE.read_text().split("## Five minutes", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert block, "the five-minute section has no TOML block"
    text = "\n".join(line.removeprefix("   ") for line in block.group(1).splitlines())
    return tomllib.loads(text)


async def test_the_five_minute_config(upstream, gateway_client) -> None:
    server = await upstream("billing")
    config = five_minute_config()
    config["plugins"]["proxy"]["upstreams"] = [url_of(server)]
    config["plugins"]["auth"]["keys"] = {"billing-ui": {"hash": hash_key(KEY), "scopes": ["write"]}}
    client = await gateway_client(
        config, plugins=[proxy_plugin, auth_plugin, ratelimit_plugin, cors_plugin]
    )
    read = await client.get("/billing/invoices/7")
    assert read.status == 200
    assert (await read.json())["raw_path"] == "/invoices/7"
    await assert_problem(await client.post("/billing/invoices", data=b"{}"), 401)
    written = await client.post("/billing/invoices", data=b"{}", headers={"X-API-Key": KEY})
    body = await written.json()
    assert ["X-Gateway-Identity", "billing-ui"] in body["headers"]
    assert not any(name.lower() == "x-api-key" for name, _ in body["headers"])
    preflight = await client.options(
        "/billing/invoices",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
