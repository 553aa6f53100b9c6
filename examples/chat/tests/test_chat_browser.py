"""The page in headless Chromium: two tabs, a message typed in one appears in the other.

Debian's /usr/bin/chromium, driven by Playwright (no `playwright install`). Skipped with the
reason where it is absent, unless GATEWAY_REQUIRE_SERVICES=1 (CI), which makes that a failure.
Screenshots are kept in examples/chat/test-artefacts/ (ignored by git).
"""

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = Path(__file__).resolve().parents[1] / "test-artefacts"
TIMEOUT_MS = 10_000


def require_browser():
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is not installed"
    else:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed (pip install -e 'examples/chat[test]')"
    if missing is None:
        return
    if os.environ.get("GATEWAY_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{missing}, and GATEWAY_REQUIRE_SERVICES=1 requires the browser test")
    pytest.skip(missing)


async def test_a_message_typed_in_one_tab_appears_in_the_other(chat):
    require_browser()
    from playwright.async_api import async_playwright, expect

    client = await chat()
    welcome = str(client.server.make_url("/chat/welcome"))
    ARTEFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = await browser.new_context()
            tabs = []
            for name in ("Ada", "Bo"):
                tab = await context.new_page()
                tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                tab.on("pageerror", lambda e: errors.append(str(e)))
                # Through the redirect, as a visitor arrives; the query names the member.
                await tab.goto(f"{welcome}?name={name}")
                tabs.append(tab)
            ada, bo = tabs
            assert ada.url.endswith("/chat/static/index.html?name=Ada")
            await expect(bo.locator("#status")).to_contain_text("2 in the room", timeout=TIMEOUT_MS)
            await ada.fill("#text", "hello from Ada")
            await ada.press("#text", "Enter")
            await expect(bo.locator("#messages li.message")).to_have_text(
                ["Ada: hello from Ada"], timeout=TIMEOUT_MS
            )
            await expect(ada.locator("#messages li.answer")).to_have_text(
                ["Hello, hello from Ada"], timeout=TIMEOUT_MS
            )
            await ada.screenshot(path=ARTEFACTS / "chat-tab-ada.png")
            await bo.screenshot(path=ARTEFACTS / "chat-tab-bo.png")
        finally:
            await browser.close()
    assert errors == []
    assert (ARTEFACTS / "chat-tab-bo.png").stat().st_size > 0
