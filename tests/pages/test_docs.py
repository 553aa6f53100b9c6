"""/docs in a real browser: every plugin's operations are listed, and "Try it out" on GET /notes
and POST /v1/crypto/info reaches the running gateway; nothing is fetched from elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.crypto.fake_coingecko import FakeCoinGecko
from tests.pages.conftest import open_page
from tests.served import artefacts, running_gateway, write_config

pytestmark = pytest.mark.slow
METHODS = {"get", "head", "put", "post", "delete", "patch"}
TIMEOUT = 15_000  # ms


async def try_it_out(page: Any, method: str, path: str) -> Any:
    """Open an operation, press Try it out and Execute; the operation's block."""
    block = page.locator(f".opblock.opblock-{method}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )
    await block.locator(".opblock-summary").first.click()
    await block.get_by_role("button", name="Try it out").click()
    await block.get_by_role("button", name="Execute").click()
    live = block.locator(".live-responses-table .response .response-col_status")
    await live.first.wait_for(timeout=TIMEOUT)
    return block


async def test_docs_page_lists_every_operation_and_tries_them(
    async_browser: Any, fake: FakeCoinGecko, tmp_path: Path
) -> None:
    shots = artefacts("docs")
    config = write_config(tmp_path, fake.url)
    async with running_gateway(config) as base:
        async with aiohttp.ClientSession() as session, session.get(f"{base}/openapi.json") as got:
            document = await got.json()
        context, page, watch = await open_page(async_browser)
        response = await page.goto(f"{base}/docs")
        assert response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        for tag in ("notes", "crypto", "health", "gateway"):
            await page.locator(f"#operations-tag-{tag}").wait_for(timeout=TIMEOUT)
        # Every operation of the document has its block on the page.
        expected = {
            (method, path)
            for path, item in document["paths"].items()
            for method in item
            if method in METHODS
        }
        shown = set()
        for block in await page.locator(".opblock").all():
            method = (await block.locator(".opblock-summary-method").inner_text()).lower()
            path = await block.locator(".opblock-summary-path").get_attribute("data-path")
            shown.add((method, path))
        assert shown == expected
        await page.screenshot(path=str(shots / "docs-1280.png"), full_page=True)

        listing = await try_it_out(page, "get", "/notes")
        status = listing.locator(".live-responses-table .response .response-col_status").first
        assert (await status.inner_text()).strip() == "200"
        body = await listing.locator(".live-responses-table .microlight").first.inner_text()
        assert '"notes"' in body
        await page.screenshot(path=str(shots / "docs-try-get-notes.png"), full_page=False)

        info = await try_it_out(page, "post", "/v1/crypto/info")
        status = info.locator(".live-responses-table .response .response-col_status").first
        assert (await status.inner_text()).strip() == "200"
        body = await info.locator(".live-responses-table .microlight").first.inner_text()
        assert '"bitcoin"' in body
        await info.screenshot(path=str(shots / "docs-try-post-info.png"))
        await context.close()
    assert fake.calls["/coins/bitcoin"] == 1  # Try it out reached the gateway, and it CoinGecko
    assert watch.outside == []  # no CDN, no validator badge: nothing left 127.0.0.1
    assert watch.errors == []
