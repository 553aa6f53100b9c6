"""``GET /openapi.json`` and ``gateway openapi``: one OpenAPI 3.1 document of every mounted
route, valid against the OpenAPI 3.1 schema, placed under each configured prefix."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from gateway.keys import CONFIG
from gateway.openapi import HIDDEN_PATHS
from gateway.testing import gateway_app
from tests.host.conftest import run_cli

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
PROBLEM = "application/problem+json"


def all_plugins(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    plugins: dict[str, Any] = {
        "health": {},
        "notes": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"},
        "crypto": {"base_url": "http://127.0.0.1:9"},
    }
    for name, values in overrides.items():
        plugins[name] = {**plugins.get(name, {}), **values}
    return {"plugins": plugins}


async def document_of(aiohttp_client: Any, config: Any, **kwargs: Any) -> dict[str, Any]:
    app = await gateway_app(config, **kwargs)
    client = await aiohttp_client(app)
    response = await client.get("/openapi.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    return await response.json()


def served_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path template) of every route aiohttp serves, read from the router alone
    (the root's routes include every mounted sub-app's)."""
    config = app[CONFIG]
    prefixes = {plugin.prefix for plugin in config.plugins.values() if plugin.enabled}
    served = set()
    for route in app.router.routes():
        resource = route.resource
        if resource is None or isinstance(resource, web.StaticResource):
            continue
        if resource.canonical.startswith(app.get(HIDDEN_PATHS, ())):
            continue  # files (the docs' and dashboard's assets), not API operations
        if route.method == "HEAD":
            continue  # described by its GET
        path = re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"{\1}", resource.canonical)
        if path.endswith("/") and path[:-1] in prefixes:
            path = path[:-1]  # a plugin's "/" is called at the bare prefix
        served.add((route.method.lower(), path))
    assert len(served) > 10
    return served


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


async def test_document_is_valid_openapi_31_and_has_every_mounted_route(aiohttp_client, tmp_path):
    config = all_plugins(tmp_path)
    config["gateway"] = {"metrics": True}
    app = await gateway_app(config)
    client = await aiohttp_client(app)
    document = await (await client.get("/openapi.json")).json()
    validate(document)  # raises on anything OpenAPI 3.1 does not allow
    assert document["openapi"] == "3.1.0"
    described = {(method, path) for method, path, _ in operations(document)}
    missing = served_routes(app) - described
    assert not missing, f"mounted routes missing from /openapi.json: {sorted(missing)}"
    assert ("get", "/metrics") in described
    assert {tag["name"] for tag in document["tags"]} >= {"health", "notes", "crypto", "gateway"}


async def test_every_builtin_route_is_described_with_its_statuses_and_media_types(
    aiohttp_client, tmp_path
):
    document = await document_of(aiohttp_client, all_plugins(tmp_path))
    for method, path, operation in operations(document):
        assert operation.get("x-gateway-described") is not False, (method, path)
        assert operation["summary"], (method, path)
        responses = operation["responses"]
        assert any(status.startswith(("1", "2", "3")) for status in responses), (method, path)
        for status, response in responses.items():
            assert response["headers"]["X-Request-ID"] == {
                "$ref": "#/components/headers/X-Request-ID"
            }
            if method == "head":  # the GET's answers, without bodies
                assert "content" not in response, (method, path, status)
            elif int(status) >= 400 and not path.startswith("/health"):
                assert list(response["content"]) == [PROBLEM], (method, path, status)
    paths = document["paths"]
    # The root route at the bare prefix, as clients call it; no /notes/ beside it.
    assert "/notes" in paths and "/notes/" not in paths
    assert set(paths["/notes"]) == {"get", "head", "post"}
    assert set(paths["/notes/{note_id}"]) >= {"get", "head", "put", "patch", "delete"}
    create = paths["/notes"]["post"]
    # The plugin's own statuses, and what the host answers before it (a body: 408 and 413).
    assert set(create["responses"]) == {
        *("201", "400", "413", "415", "422", "500", "503"),
        *("405", "408", "414", "417", "431", "501"),
    }
    assert "Allow" in create["responses"]["405"]["headers"]
    assert "408" not in paths["/notes"]["get"]["responses"]  # no body to wait for
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/notes.NoteFields"}
    patch = paths["/notes/{note_id}"]["patch"]["requestBody"]["content"]
    assert set(patch) == {"application/merge-patch+json", "application/json"}
    listing = {p.get("name"): p for p in paths["/notes"]["get"]["parameters"]}
    assert listing["limit"]["schema"]["maximum"] == 500  # the plugin's max_limit setting
    assert "-created_at" in listing["sort"]["schema"]["enum"]
    health = paths["/health"]["get"]["responses"]
    assert set(health["503"]["content"]) == {"application/health+json"}
    info = paths["/v1/crypto/info"]["post"]
    assert info["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/crypto.InfoRequest"
    }
    assert {"200", "400", "404", "413", "415", "422", "502", "503", "504"} <= set(info["responses"])
    price = {p.get("name"): p for p in paths["/v1/crypto/price"]["get"]["parameters"]}
    assert price["ids"]["schema"]["maxItems"] == 50
    assert price["ids"]["explode"] is False
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]


async def test_description_follows_the_validating_models(aiohttp_client, tmp_path):
    """The schema is the validation: what the model refuses, the document forbids."""
    config = all_plugins(tmp_path, notes={"max_limit": 40, "default_limit": 7})
    app = await gateway_app(config)
    client = await aiohttp_client(app)
    document = await (await client.get("/openapi.json")).json()
    limit = next(
        p for p in document["paths"]["/notes"]["get"]["parameters"] if p.get("name") == "limit"
    )
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 40, "default": 7}
    async with client.get("/notes", params={"limit": "41"}) as response:
        assert response.status == 422
    async with client.get("/notes", params={"limit": "40"}) as response:
        assert response.status != 422


async def test_renamed_prefix_shows_up_renamed(aiohttp_client, tmp_path):
    config = all_plugins(tmp_path, notes={"prefix": "/v2/notes"})
    document = await document_of(aiohttp_client, config)
    assert "/v2/notes" in document["paths"]
    assert "/v2/notes/{note_id}" in document["paths"]
    assert not any(path.startswith("/notes") for path in document["paths"])
    validate(document)


UNDESCRIBED = """
from aiohttp import web
from gateway import PluginInfo, hookimpl

async def hello(request):
    return web.json_response({"hi": request.match_info.get("name", "you")})

@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="quiet", default_prefix="/quiet")

@hookimpl
def gateway_create_app():
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_route("DELETE", "/{name}/items/{item:[0-9]+}", hello)
    return app
"""

PARTLY_DESCRIBED = """
from aiohttp import web
from gateway import PluginInfo, hookimpl

async def hello(request):
    return web.json_response({})

@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="partly", default_prefix="/partly")

@hookimpl
def gateway_create_app():
    app = web.Application()
    app.router.add_get("/one", hello)
    app.router.add_post("/two", hello)
    return app

THING = {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}

@hookimpl
def gateway_openapi():
    return {
        "paths": {
            "/one": {"get": {"operationId": "one", "summary": "One",
                     "responses": {"200": {"description": "ok", "content": THING}}}},
            "/gone": {"get": {"summary": "not served", "responses": {"200": {"description": "x"}}}},
        },
        "components": {"schemas": {"Thing": {"type": "object"}}},
    }
"""


def module_from(source: str, name: str, tmp_path: Path) -> Any:
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"_openapi_test_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_plugin_that_describes_nothing_still_appears(aiohttp_client, tmp_path):
    quiet = module_from(UNDESCRIBED, "quiet", tmp_path)
    partly = module_from(PARTLY_DESCRIBED, "partly", tmp_path)
    config = {"plugins": {"quiet": {"prefix": "/q"}, "partly": {}}}
    document = await document_of(
        aiohttp_client, config, plugins=[("quiet", quiet), ("partly", partly)]
    )
    validate(document)
    paths = document["paths"]
    root = paths["/q"]["get"]
    assert root["x-gateway-described"] is False
    assert root["tags"] == ["quiet"]
    item = paths["/q/{name}/items/{item}"]["delete"]
    assert {p["name"] for p in item["parameters"] if "name" in p} == {"name", "item"}
    # What the plugin described is kept (its component renamed), what it left out is added,
    # and what it described but does not serve is dropped.
    one = paths["/partly/one"]["get"]
    assert one["operationId"] == "partly.one"
    schema = one["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/partly.Thing"}
    assert "partly.Thing" in document["components"]["schemas"]
    assert paths["/partly/two"]["post"]["x-gateway-described"] is False
    assert "/partly/gone" not in paths


EXTENDS = """
from aiohttp import web
from gateway import PluginInfo, hookimpl
from gateway.openapi import OpenAPIExtension, OperationExtension, problem_response

@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="guard", default_prefix="/guard")

@hookimpl
def gateway_create_app():
    return web.Application()

@hookimpl
def gateway_openapi_extend(routes, settings):
    extension = OpenAPIExtension(
        components={"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}
    )
    for route in routes:
        if route.plugin == "notes" and route.method != "GET":
            extension.operations[route] = OperationExtension(
                security=[{"bearer": ["notes:write"]}],
                responses={"401": problem_response("No or bad token."),
                           "403": problem_response("The token lacks notes:write.")},
            )
        if route.path.startswith("/_gateway"):
            extension.operations[route] = OperationExtension(
                security=[{"bearer": ["admin"]}],
                responses={"429": problem_response("Too many requests.")},
            )
    return extension
"""


async def test_middleware_plugin_adds_security_and_responses(aiohttp_client, tmp_path):
    guard = module_from(EXTENDS, "guard", tmp_path)
    config = all_plugins(tmp_path)
    config["plugins"]["guard"] = {}
    document = await document_of(aiohttp_client, config, plugins=[("guard", guard)])
    validate(document)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    create = document["paths"]["/notes"]["post"]
    assert create["security"] == [{"bearer": ["notes:write"]}]
    assert {"401", "403"} <= set(create["responses"])
    assert create["responses"]["401"]["headers"]["X-Request-ID"]
    assert "security" not in document["paths"]["/notes"]["get"]
    plugins = document["paths"]["/_gateway/plugins"]["get"]
    assert plugins["security"] == [{"bearer": ["admin"]}]
    assert "429" in plugins["responses"]

    config["plugins"]["guard"] = {"enabled": False}
    document = await document_of(aiohttp_client, config, plugins=[("guard", guard)])
    assert "securitySchemes" not in document["components"]
    assert "security" not in document["paths"]["/notes"]["post"]


async def test_auth_and_ratelimit_describe_their_rules(aiohttp_client, tmp_path):
    config = all_plugins(tmp_path)
    config["plugins"]["auth"] = {}
    config["plugins"]["ratelimit"] = {
        "limits": ["60/minute"],
        "overrides": {"crypto": {"limits": ["10/second"]}},
        "skip": ["health"],
    }
    document = await document_of(aiohttp_client, config)
    validate(document)
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert schemes["apiKey"] == {**schemes["apiKey"], "in": "header", "name": "X-API-Key"}
    paths = document["paths"]
    create = paths["/notes"]["post"]
    assert create["security"] == [{"bearer": ["write"]}, {"apiKey": ["write"]}]
    assert {"401", "403", "429"} <= set(create["responses"])
    # A public read: no key needed, but a key sent is checked (401), so security is optional.
    listing = paths["/notes"]["get"]
    assert listing["security"] == [{}, {"bearer": []}, {"apiKey": []}]
    assert "403" not in listing["responses"]
    assert paths["/_gateway/status"]["get"]["security"][0] == {"bearer": ["admin"]}
    assert paths["/_gateway/"]["get"]["security"][0] == {"bearer": ["admin"]}
    # Both auth (too many wrong keys) and ratelimit answer 429: one response says both.
    too_many = create["responses"]["429"]
    assert "wrong keys" in too_many["description"] and "60/minute" in too_many["description"]
    assert "RateLimit" in too_many["headers"]
    assert "10/second" in paths["/v1/crypto/price"]["get"]["responses"]["429"]["description"]
    # Skipped by the ratelimit: its 429 is auth's alone.
    health = paths["/health"]["get"]["responses"]["429"]["description"]
    assert "Rate limit" not in health
    # The docs and the document itself run no plugin middleware: public, no security.
    assert "security" not in paths["/openapi.json"]["get"]


def test_cli_prints_the_document(write_config, tmp_path):
    config = write_config(
        f"""
        [plugins.health]
        [plugins.notes]
        prefix = "/memo"
        database_url = "sqlite+aiosqlite:///{tmp_path / "n.db"}"
        """
    )
    result = run_cli("openapi", "--config", str(config))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    validate(document)
    assert "/memo/{note_id}" in document["paths"]
    assert "/health/ready" in document["paths"]


def test_cli_refuses_a_bad_config(write_config):
    config = write_config('[plugins.notes]\nprefix = "no-slash"\n')
    result = run_cli("openapi", "--config", str(config))
    assert result.returncode == 2
    assert "plugins.notes.prefix" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("prefix", ["/openapi.json", "/docs"])
def test_document_and_docs_paths_are_reserved(write_config, prefix):
    config = write_config(f'[plugins.health]\nprefix = "{prefix}"\n')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert "plugins.health.prefix" in result.stderr


async def test_two_identity_providers_are_alternatives_not_both_required(aiohttp_client, tmp_path):
    from tests.jwt.provider import shared_secret_table

    config = all_plugins(tmp_path)
    config["plugins"]["auth"] = {}
    config["plugins"]["jwt"] = {
        **shared_secret_table("test-secret-of-the-identity-provider-0123"),
        "skip": ["/v1/crypto"],
    }
    document = await document_of(aiohttp_client, config)
    validate(document)
    schemes = document["components"]["securitySchemes"]
    assert schemes["jwt"]["type"] == "http" and schemes["jwt"]["scheme"] == "bearer"
    assert schemes["jwt"]["bearerFormat"] == "JWT"
    paths = document["paths"]
    # A write needs a write key or a JWT with the write scope: either of them, never nothing.
    create = paths["/notes"]["post"]
    assert create["security"] == [
        {"bearer": ["write"]},
        {"apiKey": ["write"]},
        {"jwt": ["write"]},
    ]
    # A public read: anonymous, or any of the three (each checked when sent).
    listing = paths["/notes"]["get"]
    assert listing["security"] == [{}, {"bearer": []}, {"apiKey": []}, {"jwt": []}]
    # Where the JWT plugin does not run, auth's schemes alone.
    price = paths["/v1/crypto/price"]["get"]
    assert price["security"] == [{}, {"bearer": []}, {"apiKey": []}]
    # Both plugins' 401s are one response that says both.
    refused = create["responses"]["401"]["description"]
    assert "no identity provider accepted" in refused and "does not verify" in refused
