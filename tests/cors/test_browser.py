"""CORS as a browser enforces it: headless Chromium runs `fetch` from a page on another
origin against a real `gateway serve`; a listed origin reads the answer, an unlisted one
cannot."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.browser import screenshot
from tests.processes import GatewayProcess

pytestmark = pytest.mark.slow

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>cors</title></head><body>
<pre id="out">waiting</pre></body></html>"""


@pytest.fixture
def page_origin() -> Iterator[str]:
    """A page server on its own port: another origin than the gateway's."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode() if self.path == "/" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def gateway(tmp_path: Path, page_origin: str) -> Iterator[str]:
    config = tmp_path / "plugins.toml"
    config.write_text(
        "[gateway]\naccess_log = false\n[plugins.health]\n"
        '[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///notes.db"\n'
        f'[plugins.cors]\norigins = ["{page_origin}"]\n'
    )
    with GatewayProcess(config, tmp_path / "gateway.log", cwd=tmp_path) as served:
        yield served.url


FETCH = """async ([url]) => {
  try {
    const created = await fetch(url + "/notes", {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-Request-ID": "from-the-browser"},
      body: JSON.stringify({title: "cross-origin", priority: 2}),
    });
    const note = await created.json();
    const replaced = await fetch(url + "/notes/" + note.id, {
      method: "PUT",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({title: "replaced", priority: 3}),
    });
    const result = {status: created.status, replaced: replaced.status,
                    id: created.headers.get("X-Request-ID"), title: (await replaced.json()).title};
    document.getElementById("out").textContent = JSON.stringify(result);
    return result;
  } catch (error) {
    document.getElementById("out").textContent = "refused: " + error;
    return {error: String(error)};
  }
}"""


def test_a_listed_origin_reads_the_answers(browser: Any, page_origin: str, gateway: str) -> None:
    page = browser.new_page()
    try:
        page.goto(page_origin)
        result = page.evaluate(FETCH, [gateway])
        screenshot(page, "cors-allowed")
    finally:
        page.close()
    assert result == {"status": 201, "replaced": 200, "id": "from-the-browser", "title": "replaced"}


def test_an_unlisted_origin_is_refused_by_the_browser(
    browser: Any, page_origin: str, gateway: str
) -> None:
    other = page_origin.replace("127.0.0.1", "localhost")  # same server, another origin
    page = browser.new_page()
    try:
        page.goto(other)
        result = page.evaluate(FETCH, [gateway])
        screenshot(page, "cors-refused")
    finally:
        page.close()
    assert "error" in result and "Failed to fetch" in result["error"]
    # The preflight stopped the POST: nothing was stored.
    with urllib.request.urlopen(f"{gateway}/notes", timeout=10) as listed:
        assert json.loads(listed.read())["notes"] == []
