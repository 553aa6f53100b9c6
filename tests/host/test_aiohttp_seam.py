"""gateway/aiohttp_seam.py: every private name it uses still exists in the installed aiohttp
(an upgrade that renames one fails here, loudly, not in production), and the gateway answers
and logs the same on the seam's fast path and on its public one (``GATEWAY_PUBLIC_API=1``)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway import aiohttp_seam
from tests.processes import GatewayProcess

SEAM_SOURCE = Path(aiohttp_seam.__file__).read_text()


def test_every_private_name_the_seam_reads_is_listed():
    """A private name used in the seam without being listed (and so tested below) fails."""
    used = set(re.findall(r"\b[a-z]\w*\.(_[a-z]\w*)\b", SEAM_SOURCE))
    listed = {name for names in aiohttp_seam.PRIVATE_NAMES.values() for name in names}
    assert used == listed


async def test_every_listed_private_name_exists_in_the_installed_aiohttp(aiohttp_client):
    """Each name on a live object of its owner, as a served request has them."""
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.Response(text="ok")
        seen.update(
            Request=request,
            UrlMappingMatchInfo=request.match_info,
            Application=request.app,
            UrlDispatcher=request.app.router,
            StreamResponse=response,
        )
        return response

    root = web.Application()
    sub = web.Application()
    sub.router.add_get("/x", handler)
    root.add_subapp("/sub", sub)
    client = await aiohttp_client(root)
    async with client.get("/sub/x") as response:
        assert response.status == 200
    for owner, names in aiohttp_seam.PRIVATE_NAMES.items():
        where = asyncio.tasks if owner == "asyncio.tasks" else seen[owner]
        for name in names:
            assert hasattr(where, name), f"{owner} has no {name}: update gateway/aiohttp_seam.py"


def test_the_dispatchers_seam_reads_what_resolve_walks():
    """dispatcher_parts: the index maps prefixes to resources, as the router's resolve uses."""
    root = web.Application()
    sub = web.Application()

    async def nothing(request: web.Request) -> web.Response:
        return web.Response()

    sub.router.add_get("/", nothing)
    root.add_subapp("/plugin", sub)
    matched, index = aiohttp_seam.dispatcher_parts(root.router)
    assert list(matched) == []
    assert [r.canonical for r in index["/plugin"]] == ["/plugin"]


ECHO = """
from aiohttp import web
from gateway import (
    PluginInfo, client_address, hookimpl, json_response, mounted_plugin, request_id_of
)

NAME = web.AppKey("echo.name", str)

async def echo(request):
    return json_response({
        "app": request.app.get(NAME, "?"),
        "plugin": mounted_plugin(request),
        "client": client_address(request),
        "request_id": request_id_of(request),
    })

async def stream(request):
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(b"streamed")
    return response

@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="echo", default_prefix="/echo")

@hookimpl
def gateway_create_app():
    inner = web.Application()
    inner[NAME] = "inner"
    inner.router.add_get("/x", echo)
    app = web.Application()
    app[NAME] = "echo"
    app.router.add_get("/", echo)
    app.router.add_get("/stream", stream)
    app.add_subapp("/inner", inner)
    return app
"""

CONFIG = """
[gateway]
plugin_dirs = ["plugins"]
trusted_proxies = ["127.0.0.1"]

[plugins.health]
prefix = "/health"

[plugins.echo]

[plugins.cors]
origins = ["http://app.example"]

[plugins.ratelimit]
limits = ["1000/minute"]
skip = ["health"]
"""

REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/health/live", {}),
    ("GET", "/echo/", {}),
    ("GET", "/echo/inner/x", {"Origin": "http://app.example"}),
    ("GET", "/echo/stream", {"Origin": "http://app.example"}),
    ("GET", "/echo/", {"X-Forwarded-For": "203.0.113.9"}),
    ("GET", "/echo/missing", {"Origin": "http://evil.example"}),
    ("POST", "/health/live", {}),
    ("GET", "/echo", {}),
    ("GET", "/_gateway/plugins", {"Origin": "http://app.example"}),
    ("OPTIONS", "/echo/", {"Origin": "http://app.example", "Access-Control-Request-Method": "GET"}),
    ("GET", "/nowhere", {}),
    ("GET", "/echo/", {"Expect": "200-ok"}),
]
COMPARED = (
    "Content-Type",
    "Access-Control-Allow-Origin",
    "Vary",
    "RateLimit-Policy",
    "Allow",
    "Server",
    "X-Request-ID",
)


async def answers_and_log(tmp_path: Path, public: bool) -> tuple[list[Any], list[str]]:
    folder = tmp_path / ("path-1" if public else "path-0")  # the same length: sizes match
    (folder / "plugins").mkdir(parents=True)
    (folder / "plugins" / "echo.py").write_text(ECHO)
    (folder / "plugins.toml").write_text(CONFIG)
    env = {"GATEWAY_PUBLIC_API": "1" if public else "0"}
    gateway = GatewayProcess(folder / "plugins.toml", folder / "log", env=env, cwd=folder)
    found = []
    try:
        await gateway.listening()
        async with aiohttp.ClientSession() as session:
            for number, (method, path, headers) in enumerate(REQUESTS):
                sent = {**headers, "X-Request-ID": f"req-{number}", "User-Agent": "seam-test"}
                async with session.request(method, gateway.url + path, headers=sent) as answer:
                    body = await answer.read()
                    rate = answer.headers.get("RateLimit", "")
                    found.append(
                        {
                            "request": f"{method} {path} {headers}",
                            "status": answer.status,
                            "headers": {h: answer.headers.get(h) for h in COMPARED},
                            # r= remaining is the same; t= the seconds left in the minute not
                            "ratelimit": rate.split(";t=")[0],
                            # the plugins report names each run's own folder, and its
                            # checks' results carry the moment and duration of each run
                            "body": re.sub(
                                r'"(time|observedValue|duration_ms)": ?("[^"]*"|[0-9.e-]+)',
                                r'"\1": "-"',
                                body.decode().replace(str(folder), "FOLDER"),
                            ),
                        }
                    )
    finally:
        gateway.stop()
    # The access lines without their time, duration and size (which moves by a byte where
    # RateLimit's t= or a check's time takes one more digit; the bodies are compared above).
    lines = [
        re.sub(r" \d+B \d+\.\d\dms ", " ", line.split(" INFO ", 1)[1])
        for line in gateway.text().splitlines()
        if " aiohttp.access " in line
    ]
    return found, lines


@pytest.mark.slow
async def test_both_paths_answer_and_log_the_same(tmp_path):
    fast, fast_log = await answers_and_log(tmp_path, public=False)
    public, public_log = await answers_and_log(tmp_path, public=True)
    assert public == fast
    assert public_log == fast_log
    assert len(fast_log) == len(REQUESTS)
    # What the comparison covers, so that two equally broken paths do not pass.
    by_path = {f["request"]: f for f in fast}
    streamed = by_path["GET /echo/stream {'Origin': 'http://app.example'}"]
    assert streamed["headers"]["Access-Control-Allow-Origin"] == "http://app.example"
    assert streamed["ratelimit"] == '"1000/minute";r=997'
    inner = by_path["GET /echo/inner/x {'Origin': 'http://app.example'}"]
    assert json.loads(inner["body"]) == {
        "app": "inner",
        "plugin": "echo",
        "client": "127.0.0.1",
        "request_id": "req-2",
    }
    assert by_path["GET /echo/ {'Expect': '200-ok'}"]["status"] == 417
    assert any(" 203.0.113.9 GET /echo/ 200 " in line for line in fast_log)
