"""The root application: mounting, problem+json for every error, request ids, async hooks."""

import logging

import pytest
from aiohttp import web

from gateway import PluginInfo, PluginSettings, hookimpl, json_response
from gateway.app import PluginSetupError
from gateway.logs import RequestIdFilter
from gateway.testing import gateway_app

PROBLEM = "application/problem+json"


class EchoSettings(PluginSettings):
    token: str = ""
    database_url: str = "postgresql://app:hunter2@db.example/notes"


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return json_response({"method": request.method, "path": request.path, "size": len(body)})


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("secret internal detail")


class EchoPlugin:
    """An in-memory plugin whose hooks are async, as a plugin author may write them."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="echo", default_prefix="/echo", settings=EchoSettings)

    @hookimpl
    async def gateway_create_app(self, settings):
        app = web.Application()
        app.router.add_route("*", "/", echo)
        app.router.add_get("/boom", boom)
        app.router.add_get("/items/{id}", echo)
        return app


@pytest.fixture
async def client(aiohttp_client):
    app = await gateway_app(
        {"plugins": {"echo": {"prefix": "/notes", "token": "t0ps3cret"}, "health": {}}},
        plugins=[("echo", EchoPlugin())],
    )
    return await aiohttp_client(app)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/notes", "/notes/"])
async def test_both_prefix_forms_reach_the_plugin_without_redirect(client, method, path):
    response = await client.request(method, path, data=b'{"a": 1}', allow_redirects=False)
    assert response.status == 200
    body = await response.json()
    assert body["method"] == method
    assert body["path"] == path


async def test_nested_route(client):
    response = await client.get("/notes/items/7")
    assert (await response.json())["path"] == "/notes/items/7"


async def test_404_is_problem_json(client):
    response = await client.get("/nowhere")
    assert response.status == 404
    assert response.content_type == PROBLEM
    body = await response.json()
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No route matches this path.",
        "instance": "/nowhere",
    }


async def test_404_inside_a_plugin_prefix_is_problem_json(client):
    response = await client.get("/notes/items")
    assert response.status == 404
    assert response.content_type == PROBLEM


async def test_405_is_problem_json_and_keeps_allow(client):
    response = await client.delete("/notes/boom")
    assert response.status == 405
    assert response.content_type == PROBLEM
    assert response.headers["Allow"] == "GET,HEAD"
    body = await response.json()
    assert body["status"] == 405
    assert "DELETE is not allowed here" in body["detail"]


async def test_unhandled_exception_is_a_500_problem_without_traceback(client, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        response = await client.get("/notes/boom", headers={"X-Request-ID": "req-500"})
    assert response.status == 500
    assert response.content_type == PROBLEM
    text = await response.text()
    assert "secret internal detail" not in text
    assert "Traceback" not in text
    assert (await response.json())["instance"] == "/notes/boom"
    [record] = [r for r in caplog.records if r.name == "gateway.errors"]
    assert record.request_id == "req-500"
    assert record.exc_info is not None and "secret internal detail" in str(record.exc_info[1])


async def test_413_is_problem_json(client):
    response = await client.post("/notes", data=b"x" * (1024**2 + 1))
    assert response.status == 413
    assert response.content_type == PROBLEM
    assert (await response.json())["status"] == 413


async def test_request_id_is_kept(client):
    response = await client.get("/notes", headers={"X-Request-ID": "abc-123.def"})
    assert response.headers["X-Request-ID"] == "abc-123.def"


@pytest.mark.parametrize("sent", [None, "", "x" * 129, "has space", "new\\nline", "ü"])
async def test_request_id_is_generated_when_absent_or_insane(client, sent):
    headers = {"X-Request-ID": sent} if sent is not None else {}
    response = await client.get("/nowhere", headers=headers)
    generated = response.headers["X-Request-ID"]
    assert generated != sent
    assert len(generated) == 32 and int(generated, 16) >= 0


async def test_request_ids_differ(client):
    ids = {(await client.get("/notes")).headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


async def test_plugins_endpoint_redacts_secrets(client):
    response = await client.get("/_gateway/plugins")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"  # the running config: never cached
    rows = {row["name"]: row for row in (await response.json())["plugins"]}
    assert rows["echo"]["settings"] == {
        "token": "***",
        "database_url": "postgresql://app:***@db.example/notes",
    }
    assert rows["echo"]["status"] == "mounted"
    assert rows["echo"]["source"] == "registered in code"
    assert "t0ps3cret" not in await response.text()


class FailsToBuild:
    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="fragile", default_prefix="/fragile")

    @hookimpl
    def gateway_create_app(self):
        raise ValueError("no upstream configured")


async def test_plugin_that_fails_to_build_is_named():
    with pytest.raises(PluginSetupError) as caught:
        await gateway_app({"plugins": {"fragile": {}}}, plugins=[("fragile", FailsToBuild())])
    assert str(caught.value) == (
        "plugin 'fragile' failed to start: ValueError: no upstream configured"
    )


async def test_plugin_that_fails_to_build_is_reported_when_not_strict(aiohttp_client):
    app = await gateway_app(
        {"plugins": {"fragile": {}, "health": {}}},
        plugins=[("fragile", FailsToBuild())],
        strict=False,
    )
    client = await aiohttp_client(app)
    rows = {r["name"]: r for r in (await (await client.get("/_gateway/plugins")).json())["plugins"]}
    assert rows["fragile"]["status"] == "failed"
    assert rows["fragile"]["error"] == "ValueError: no upstream configured"
    assert (await client.get("/health")).status == 200


async def test_metrics_are_off_by_default(client):
    response = await client.get("/metrics")
    assert response.status == 404
    assert response.content_type == PROBLEM


async def test_metrics_count_requests_by_plugin_route_and_status(aiohttp_client):
    app = await gateway_app(
        {"gateway": {"metrics": True}, "plugins": {"echo": {}}},
        plugins=[("echo", EchoPlugin())],
    )
    client = await aiohttp_client(app)

    def count(text: str, *labels: str) -> float:
        for line in text.splitlines():
            if line.startswith("gateway_http_request_duration_seconds_count{") and all(
                label in line for label in labels
            ):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = await (await client.get("/metrics")).text()
    for _ in range(3):
        await client.get("/echo/items/1")
    await client.get("/echo/boom")
    await client.get("/nowhere")
    response = await client.get("/metrics")
    assert response.headers["Cache-Control"] == "no-store"
    text = await response.text()
    route = ('plugin="echo"', 'route="/echo/items/{id}"', 'method="GET"', 'status="200"')
    assert count(text, *route) - count(before, *route) == 3
    boom = ('plugin="echo"', 'route="/echo/boom"', 'status="500"')
    assert count(text, *boom) - count(before, *boom) == 1
    unmatched = ('plugin="gateway"', 'route="unmatched"', 'status="404"')
    assert count(text, *unmatched) - count(before, *unmatched) == 1
