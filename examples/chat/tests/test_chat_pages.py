"""The chat's pages under its prefix: static files, the redirect, the Jinja2 template, its own
middleware, its settings and its health check."""

import pytest
from conftest import join, members
from gateway.config import ConfigError
from gateway.testing import assert_problem, build_config

import gateway_chat


async def test_the_page_and_its_script_are_served_from_the_package(chat):
    client = await chat()
    page = await client.get("/chat/static/index.html")
    assert page.status == 200
    assert page.content_type == "text/html"
    assert '<script src="chat.js"></script>' in await page.text()
    script = await client.get("/chat/static/chat.js")
    assert 'new URL("../ws", document.baseURI)' in await script.text()
    await assert_problem(await client.get("/chat/static/nope.js"), 404)


@pytest.mark.parametrize("prefix", ["/chat", "/rooms/lobby"])
async def test_welcome_redirects_to_the_page_under_any_prefix(chat, prefix):
    client = await chat(prefix=prefix)
    for path in ("/welcome", "/", ""):
        response = await client.get(f"{prefix}{path}", allow_redirects=False)
        assert response.status == 302, path
        assert response.headers["Location"] == f"{prefix}/static/index.html"
        assert response.headers["X-Request-ID"]
    followed = await client.get(f"{prefix}/welcome")
    assert followed.status == 200 and "<h1>Chat</h1>" in await followed.text()


async def test_hello_renders_the_template_with_the_name_escaped(chat):
    client = await chat()
    await join(client, "Ada")
    page = await client.get("/chat/hello/Bo")
    text = await page.text()
    assert page.content_type == "text/html"
    assert "<h1>Hello, Bo</h1>" in text
    assert "1 member is in the room lobby." in text
    hostile = await (await client.get("/chat/hello/%3Cscript%3Ealert(1)%3C%2Fscript%3E")).text()
    assert "<script>" not in hostile and "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    body = await assert_problem(await client.get("/chat/hello/" + "x" * 65), 422)
    assert body["errors"] == [{"parameter": "name", "detail": "at most 64 characters"}]


async def test_its_middleware_applies_to_its_own_routes_only(chat):
    client = await chat(room="den")
    own = await client.get("/chat/hello/Ada")
    assert own.headers["X-Chat-Room"] == "den"
    assert own.headers["Content-Security-Policy"].startswith("default-src 'self'")
    static = await client.get("/chat/static/index.html")
    assert static.headers["X-Chat-Room"] == "den"
    for other in ("/health", "/_gateway/plugins"):
        response = await client.get(other)
        assert "X-Chat-Room" not in response.headers, other


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"max_members": 0}, "plugins.chat.max_members"),
        ({"room": ""}, "plugins.chat.room"),
        ({"room": "<b>"}, "plugins.chat.room"),
        ({"send_queue": "many"}, "plugins.chat.send_queue"),
        ({"heartbeats": 5}, "plugins.chat.heartbeats"),
    ],
)
def test_settings_are_validated_with_the_key_named(settings, key):
    with pytest.raises(ConfigError) as caught:
        build_config({"plugins": {"chat": settings}}, plugins=[gateway_chat])
    assert f": {key}: " in str(caught.value)


async def test_health_check_reports_the_members_connected(chat):
    client = await chat(max_members=2)
    assert await members(client) == 0
    await join(client, "Ada")
    check = (await (await client.get("/health")).json())["checks"]["chat:members"][0]
    assert (check["status"], check["observedValue"], check["observedUnit"]) == (
        "pass",
        1,
        "members",
    )
    await join(client, "Bo")
    check = (await (await client.get("/health")).json())["checks"]["chat:members"][0]
    assert (check["status"], check["output"]) == ("warn", "2 of 2 members connected")
