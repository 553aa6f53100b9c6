"""The docs page and the dashboard in headless Debian chromium, through Playwright's async API
(no Playwright browser download); the executable and its flags are tests/browser.py's.

Where Chromium is absent these tests skip and say so; GATEWAY_REQUIRE_SERVICES=1 (set by
.ci/run, which installs chromium) makes that a failure instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import ARGS, CHROMIUM

HAVE_CHROMIUM = Path(CHROMIUM).exists()


@pytest.fixture
async def async_browser() -> AsyncIterator[Any]:
    """Chromium through Playwright's async API, in the test's own event loop: these tests
    also serve the fake CoinGecko and drive gateway processes from that loop."""
    if not HAVE_CHROMIUM:
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("GATEWAY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}, and GATEWAY_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


class PageWatch:
    """A page's console errors, failed requests and any request that left 127.0.0.1."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        # The page's own favicon request is the browser's, not the page's code.
        if "favicon" in text or (message.location or {}).get("url", "").endswith("favicon.ico"):
            return
        self.errors.append(text)


async def open_page(
    browser: Any, *, width: int = 1280, height: int = 800
) -> tuple[Any, Any, PageWatch]:
    """A fresh context and page that may reach 127.0.0.1 only (anything else is aborted)."""
    context = await browser.new_context(viewport={"width": width, "height": height})
    watch_outside: list[str] = []

    async def local_only(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:")):
            await route.continue_()
        else:
            watch_outside.append(url)
            await route.abort()

    await context.route("**/*", local_only)
    page = await context.new_page()
    watch = PageWatch(page)
    watch.outside = watch_outside
    return context, page, watch
