"""Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright.

Skips with the reason where Chromium is absent; with GATEWAY_REQUIRE_SERVICES=1 (set by
.ci/run, which installs Debian's `chromium`) it fails instead. Screenshots go to
``test-artefacts/`` at the top of the checkout, which CI keeps.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("GATEWAY_TEST_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parents[1] / "test-artefacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Per module, not per session: Playwright's sync API keeps an event loop running while it is
# open, which the asyncio tests of other modules must not find.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("GATEWAY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}, and GATEWAY_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def screenshot(page: Any, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
