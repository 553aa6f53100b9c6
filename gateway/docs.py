"""``GET /docs``: Swagger UI on ``/openapi.json``, from files shipped in the wheel.

Swagger UI is vendored under gateway/static/swagger-ui (see VENDORED.md there): the page
needs no internet access, and its Content-Security-Policy lets it load scripts, styles and
data from the gateway alone, so it stays that way.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web

from gateway.static_assets import StaticAssets

STATIC = Path(__file__).with_name("static")
SWAGGER_UI_VERSION = "5.35.0"
ASSETS = "/docs/assets"

# Swagger UI and the dashboard run no inline script and call nothing but the gateway; React
# sets inline styles (style attributes), and Swagger UI's CSS embeds its icons as data: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def page_headers() -> dict[str, str]:
    """Headers of an HTML page the gateway serves (the docs page, the dashboard)."""
    return {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


@cache
def _page(name: str) -> bytes:
    return (STATIC / name).read_bytes()  # once per process: a page never changes while it runs


def html_page(name: str) -> web.Response:
    return web.Response(
        body=_page(name),
        content_type="text/html",
        charset="utf-8",
        headers=page_headers(),
    )


async def docs_view(request: web.Request) -> web.Response:
    return html_page("docs.html")


def add_docs_routes(root: web.Application) -> None:
    """``GET /docs`` and its assets under ``/docs/assets/`` (left out of the document),
    compressed once per coding (gateway/static_assets.py)."""
    root.router.add_get("/docs", docs_view)
    StaticAssets(STATIC).add_route(root, ASSETS)
