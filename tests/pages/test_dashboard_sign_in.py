"""Signing in to the dashboard with auth on, in headless Debian chromium: the key goes in a form
(never a URL or a log line), the session cookie is HttpOnly and SameSite=Strict, another
origin cannot sign a browser in, and the page says "not ready" while /health/ready is 503.
A real `gateway serve` process."""

from __future__ import annotations

import hashlib
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.pages.conftest import open_page
from tests.processes import GatewayProcess
from tests.served import artefacts

pytestmark = pytest.mark.slow

ADMIN_KEY = "gw_" + "a" * 43
WRITE_KEY = "gw_" + "w" * 43
TIMEOUT = 20_000  # ms: the page polls every 5 s

# A required check that fails while a file exists: readiness 503 on demand.
SWITCH = """
from pathlib import Path

from gateway import CheckResult, HealthCheck, PluginInfo, PluginSettings, hookimpl


class SwitchSettings(PluginSettings):
    flag: str


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="switch", settings=SwitchSettings)


@hookimpl
def gateway_health_checks(settings):
    async def check():
        if Path(settings.flag).exists():
            return CheckResult("fail", "switched off")
        return CheckResult("pass")

    return [HealthCheck("flag", check, required=True)]
"""


def _hash(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _config(tmp_path: Path) -> Path:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "switch.py").write_text(SWITCH)
    config = tmp_path / "plugins.toml"
    config.write_text(
        f"""
[gateway]
plugin_dirs = ["plugins"]
shutdown_timeout = 5
[plugins.health]
[plugins.switch]
flag = "{tmp_path / "down"}"
[plugins.auth.keys.ops]
hash = "{_hash(ADMIN_KEY)}"
scopes = ["admin"]
[plugins.auth.keys.writer]
hash = "{_hash(WRITE_KEY)}"
scopes = ["write"]
"""
    )
    return config


async def _ready_status(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/health/ready") as answer:
        return answer.status


async def test_sign_in_with_a_form_and_a_safe_session_cookie(async_browser: Any, tmp_path: Path):
    shots = artefacts("dashboard-sign-in")
    gateway = GatewayProcess(_config(tmp_path), tmp_path / "gateway.log")
    try:
        await gateway.ready()
        base = gateway.url
        context, page, watch = await open_page(async_browser)

        # Opening the dashboard without a session leads to the sign-in form.
        await page.goto(f"{base}/_gateway/")
        assert page.url == f"{base}/_gateway/login"
        await page.screenshot(path=str(shots / "sign-in.png"))

        # A key without the admin scope, then a wrong one: refused, said on the page.
        await page.fill("#key", WRITE_KEY)
        await page.click("button[type=submit]")
        assert "lacks the admin scope" in await page.locator(".error").inner_text()
        await page.fill("#key", "gw_wrong")
        await page.click("button[type=submit]")
        assert "not valid" in await page.locator(".error").inner_text()

        await page.fill("#key", ADMIN_KEY)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{base}/_gateway/")
        await page.locator("#caller-name").wait_for(state="visible", timeout=TIMEOUT)
        assert await page.locator("#caller-name").inner_text() == "ops"
        assert "ready" in await page.locator("#version").inner_text()
        assert ADMIN_KEY not in page.url

        (cookie,) = await context.cookies()
        assert cookie["name"] == "gateway_session"
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["path"] == "/_gateway"
        assert cookie["secure"] is False  # plain http here; Secure over https
        assert ADMIN_KEY not in cookie["value"]
        # Scripts cannot read it.
        assert await page.evaluate("document.cookie") == ""

        # A required check fails: /health/ready is 503, and the header says so.
        (tmp_path / "down").write_text("")
        deadline = time.monotonic() + 20
        while await _ready_status(base) != 503:
            assert time.monotonic() < deadline
        await page.wait_for_function(
            "() => document.getElementById('version').textContent.endsWith('not ready')",
            timeout=TIMEOUT,
        )
        await page.screenshot(path=str(shots / "not-ready.png"))
        (tmp_path / "down").unlink()

        # "API docs" opens the docs page.
        async with page.expect_navigation():
            await page.click("text=API docs")
        assert page.url == f"{base}/docs"
        await page.go_back()

        # The cookie is good for reading only: a POST with it is refused.
        status = await page.evaluate(
            "fetch('/_gateway/status', {method: 'POST'}).then(r => r.status)"
        )
        assert status == 401

        # Signing out ends the session.
        await page.click("#sign-out")
        await page.wait_for_url(f"{base}/_gateway/login")
        assert await context.cookies() == []
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{base}/_gateway/status") as answer,
        ):
            assert answer.status == 401
        await context.close()
        assert watch.outside == []
        assert [e for e in watch.errors if "401" not in e and "403" not in e] == []
    finally:
        assert gateway.stop() == 0
    log = gateway.text()
    assert ADMIN_KEY not in log and WRITE_KEY not in log
    # The session's requests are logged under the key's name.
    assert any(
        " GET /_gateway/status 200 " in line and " ops " in line for line in log.splitlines()
    )


async def test_another_origin_cannot_sign_a_browser_in(async_browser: Any, tmp_path: Path):
    """Login CSRF: a page of another origin posting the form (with a key of its choosing) is
    refused, and the browser gets no session."""
    gateway = GatewayProcess(_config(tmp_path), tmp_path / "gateway.log")

    async def attacker(request: web.Request) -> web.Response:
        return web.Response(
            content_type="text/html",
            text=(
                f'<form id="f" method="post" action="{gateway.url}/_gateway/login">'
                f'<input name="key" value="{ADMIN_KEY}"></form>'
                "<script>document.getElementById('f').submit()</script>"
            ),
        )

    app = web.Application()
    app.router.add_get("/", attacker)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    await web.SockSite(runner, sock).start()
    try:
        await gateway.ready()
        context, page, _ = await open_page(async_browser)
        async with page.expect_navigation(url=f"{gateway.url}/_gateway/login"):
            await page.goto(f"http://127.0.0.1:{port}/")
        assert "only from this gateway's own pages" in await page.content()
        assert await context.cookies() == []
        await context.close()
    finally:
        await runner.cleanup()
        assert gateway.stop() == 0
