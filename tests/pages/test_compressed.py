"""Chromium reads what the gateway compresses: the docs page's Swagger UI, served by the host
in the coding Chromium prefers, renders; a JSON answer and server-sent events compressed by
the compress plugin decode in the page (fetch and EventSource)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compress.conftest import EVENTS, PLUGINS
from tests.pages.conftest import open_page

pytestmark = pytest.mark.slow
TIMEOUT = 15_000  # ms


async def test_chromium_decodes_assets_answers_and_events(async_browser: Any, gateway_client):
    config = {"plugins": {"sample": {}, "compress": {}}}
    client = await gateway_client(config, plugins=PLUGINS, builtins=["compress"])
    base = str(client.make_url("")).rstrip("/")
    context, page, watch = await open_page(async_browser)
    async with page.expect_response("**/swagger-ui-bundle.js") as bundle:
        await page.goto(f"{base}/docs")
    await page.locator("#operations-tag-gateway").wait_for(timeout=TIMEOUT)
    # Chromium asks for gzip, deflate, br and zstd alike: the server's order picks zstd.
    assert await (await bundle.value).header_value("content-encoding") == "zstd"

    # The page's own fetch and EventSource, through the compress plugin.
    async with page.expect_response("**/sample/document") as answer:
        document = await page.evaluate(
            "fetch('/sample/document').then(r => r.text()).then(t => JSON.parse(t).length)"
        )
    assert document == 300
    assert await (await answer.value).header_value("content-encoding") == "zstd"
    async with page.expect_response("**/sample/events") as stream:
        events = await page.evaluate(
            """(count) => new Promise((resolve, reject) => {
                const got = [];
                const source = new EventSource('/sample/events');
                source.onmessage = async (event) => {
                    got.push(event.data);
                    if (got.length === count) { source.close(); resolve(got); return; }
                    // The next event is sent only once this one has arrived.
                    await fetch('/sample/release/' + (got.length - 1));
                };
                source.onerror = () => { source.close(); reject(new Error('stream failed')); };
                setTimeout(() => reject(new Error('timed out with ' + got.length)), 10000);
            })""",
            len(EVENTS),
        )
    assert events == [e.decode().split("data: ")[1].strip() for e in EVENTS]
    assert await (await stream.value).header_value("content-encoding") == "zstd"
    await context.close()
    assert watch.errors == []
