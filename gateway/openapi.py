"""The gateway's one OpenAPI 3.1 document, assembled from what every plugin says about itself.

Each mounted plugin describes its own sub-application through ``gateway_openapi`` (paths
relative to its mount, its own components). The host here:

- places each plugin's paths under its configured prefix (``/`` is the bare prefix, ``/notes``,
  as clients call it), and renames the plugin's components ``plugin.Name`` (``$ref``s and
  ``operationId``s in links follow), so two plugins can never clash;
- describes, minimally, every mounted route a plugin left out (or every route of a plugin that
  has no ``gateway_openapi``), so the document never silently omits a route;
- adds what every answer shares: the problem+json schema, the ``X-Request-ID`` header, 500;
- lets every enabled plugin add what its middlewares do to requests (security schemes,
  per-operation security, 401/403/429) through ``gateway_openapi_extend``.

Plugins build their fragments with the helpers below (:func:`problem_response`,
:func:`model_schemas`, :func:`query_parameters`) from the pydantic models that validate their
requests, so the description and the validation are one definition.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.catch_all import catch_all_prefixes, served_by_catch_all
from gateway.config import GatewayConfig
from gateway.contract import (
    OpenAPIExtension as OpenAPIExtension,
    OpenAPIRoute as OpenAPIRoute,
    OperationExtension as OperationExtension,
)
from gateway.errors import PROBLEM_CONTENT_TYPE
from gateway.plugins import await_me_maybe, call_plugin_hook
from gateway.request_id import HEADER
from gateway.static_assets import answer, document_asset
from gateway.version import __version__

# The document is JSON: a plain str, not the istr the middleware uses as a header key.
REQUEST_ID_HEADER = str(HEADER)

log = logging.getLogger("gateway.openapi")

OPENAPI_VERSION = "3.1.0"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM_REF = "#/components/schemas/Problem"
REQUEST_ID_REF = "#/components/headers/X-Request-ID"
REQUEST_ID_PARAMETER_REF = "#/components/parameters/X-Request-ID"
# The host's own component names: a plugin's $ref to one of these is left as it is.
SHARED_COMPONENTS = {
    "schemas": {"Problem", "ProblemItem"},
    "headers": {"X-Request-ID", "Retry-After"},
    "parameters": {"X-Request-ID"},
}
_REF = re.compile(r"^#/components/(?P<kind>[A-Za-z]+)/(?P<name>[A-Za-z0-9._-]+)$")
_PATH_PARAMETER = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


# --- helpers for plugins --------------------------------------------------------------------


def problem_response(description: str, *, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI response object: an RFC 9457 problem (``application/problem+json``)."""
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if headers:
        response["headers"] = headers
    return response


RETRY_AFTER = {"$ref": "#/components/headers/Retry-After"}


def model_schemas(*models: type[BaseModel]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """JSON Schemas of request models in validation mode: (a ``$ref`` for each, components).

    The components go in the fragment's ``components.schemas``; the refs point at them.
    """
    refs, top = models_json_schema(
        [(model, "validation") for model in models],
        ref_template="#/components/schemas/{model}",
    )
    definitions = top.get("$defs", {})
    for definition in definitions.values():
        for schema in definition.get("properties", {}).values():
            _drop_null_default(schema)
    return [refs[(model, "validation")] for model in models], definitions


def _drop_null_default(schema: dict[str, Any]) -> None:
    # pydantic writes a field's default None even where null is not a valid value (an
    # optional member that must not be null when sent): in JSON Schema that default lies.
    if schema.get("default", ...) is None and not _allows_null(schema):
        del schema["default"]


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if "type" not in schema and not any(k in schema for k in ("anyOf", "oneOf", "enum", "$ref")):
        return True  # no type at all: anything, null included
    return any(_allows_null(option) for option in schema.get("anyOf", ()))


def query_parameters(model: type[BaseModel], **descriptions: str) -> list[dict[str, Any]]:
    """One OpenAPI query parameter per field of ``model`` (a model of scalar fields)."""
    schema = model.model_json_schema(mode="validation")
    if "$defs" in schema:
        raise ValueError(f"{model.__name__}: query parameters must be scalars, not models")
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        field_schema = dict(field_schema)
        field_schema.pop("title", None)
        if field_schema.get("default", ...) is None:
            del field_schema["default"]  # a query parameter left out, never a null
        description = descriptions.get(name) or field_schema.pop("description", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field_schema,
        }
        if description:
            parameter["description"] = description
        if field_schema.get("type") == "array":
            # Lists are comma-separated (ids=bitcoin,ethereum), as the plugins read them.
            parameter.update(style="form", explode=False)
        parameters.append(parameter)
    return parameters


# --- what middleware plugins add (the gateway_openapi_extend hook) --------------------------


# --- the host's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class MountedRoute:
    """A route aiohttp will serve: method, OpenAPI path template, the plugin that serves it."""

    method: str
    path: str
    plugin: str | None
    prefix: str | None


def mounted_routes(root: web.Application) -> list[MountedRoute]:
    """Every route the root application serves, with the plugin serving it.

    ``HEAD`` routes are left out: HEAD is GET without a body (RFC 9110), described by the GET.
    A plugin's ``/`` (and the empty path the host adds beside it) is its bare prefix.
    """
    from gateway.keys import MOUNTED_APPS

    by_app = {id(app): name for name, app in root.get(MOUNTED_APPS, {}).items()}
    found: dict[tuple[str, str], MountedRoute] = {}
    for method, path, plugin, prefix in _walk(root, "", None, None, by_app):
        if method == "HEAD":
            continue
        found.setdefault((method, path), MountedRoute(method, path, plugin, prefix))
    return list(found.values())


def _walk(
    app: web.Application,
    base: str,
    plugin: str | None,
    prefix: str | None,
    by_app: dict[int, str],
) -> Iterator[tuple[str, str, str | None, str | None]]:
    # add_subapp has already prefixed every resource of a sub-app: canonicals are full paths.
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            sub = resource.get_info()["app"]
            name = by_app.get(id(sub), plugin)
            sub_prefix = resource.canonical
            yield from _walk(
                sub, sub_prefix, name, sub_prefix if name != plugin else prefix, by_app
            )
            continue
        path = _PATH_PARAMETER.sub(r"{\1}", resource.canonical)
        if isinstance(resource, web.StaticResource):
            path += "/{filename}"
        if base and path == base + "/":
            path = base  # a sub-app's root route is called at the bare prefix
        path = path or "/"
        for route in resource:
            methods = METHODS if route.method == "*" else (route.method,)
            for method in methods:
                yield method.upper(), path, plugin, prefix


def _is_hidden(app: web.Application, route: MountedRoute) -> bool:
    return any(route.path.startswith(hidden) for hidden in app.get(HIDDEN_PATHS, ()))


# Path prefixes of the root app that are not API operations (the docs page's assets).
HIDDEN_PATHS = web.AppKey("gateway.openapi_hidden_paths", tuple[str, ...])
# The document, built on the first request: the root is frozen by then, its dict is not.
DOCUMENT = web.AppKey("gateway.openapi_document", dict[str, Any])


async def build_document(root: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``root`` (a frozen or unfrozen root from ``create_app``)."""
    from gateway.keys import CONFIG, MOUNTED_APPS

    config: GatewayConfig = root[CONFIG]
    mounted = root.get(MOUNTED_APPS, {})
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "gateway",
            "version": __version__,
            "description": (
                "Every mounted plugin's API. Errors are `application/problem+json` (RFC 9457). "
                "Every response carries `X-Request-ID`: the client's own when it sends a sane "
                "one (1 to 128 of `A-Z a-z 0-9 . _ : / + = -`), a generated one otherwise."
            ),
        },
        "tags": [],
        "paths": {},
        "components": _shared_components(),
    }
    routes = [r for r in mounted_routes(root) if not _is_hidden(root, r)]
    plugins = {p.name: p for p in config.plugins.values()}

    for name in sorted(mounted):
        plugin = plugins[name]
        fragment = await _fragment(config, plugin, mounted[name])
        info = plugin.plugin.info
        tag = {"name": name}
        if info is not None and info.description:
            tag["description"] = info.description
        if plugin.plugin_name != name:  # a named instance: say of which plugin
            tag["description"] = f"An instance of {plugin.plugin_name}. " + tag.get(
                "description", ""
            )
        document["tags"].append(tag)
        if fragment is not None:
            try:
                _place(document, name, plugin.prefix or "", fragment)
            except ValueError as exc:
                log.error("plugin %r: %s; its routes are described minimally", name, exc)

    from gateway.host_openapi import HOST_FRAGMENT

    document["tags"].append({"name": "gateway", "description": "The gateway's own endpoints."})
    _place(document, None, "", copy.deepcopy(HOST_FRAGMENT))

    _describe_missing(document, routes)
    _drop_unmounted(document, routes, catch_all_prefixes(root))
    _add_shared(document)
    from gateway.keys import MIDDLEWARE_CHAINS

    await _extend(document, config, routes, root.get(MIDDLEWARE_CHAINS, {}))
    _add_head(document, _served_heads(root))
    return document


def _served_heads(root: web.Application) -> set[str]:
    """The paths whose ``HEAD`` the gateway serves (aiohttp's ``add_get`` adds it)."""
    return {
        path
        for method, path, _, _ in _walk(root, "", None, None, {})
        if method == "HEAD" and not _is_hidden(root, MountedRoute(method, path, None, None))
    }


def _add_head(document: dict[str, Any], heads: set[str]) -> None:
    """A ``head`` operation beside every ``get`` whose path serves HEAD: the GET's answers
    without their bodies (RFC 9110 section 9.3.2), its parameters and security."""
    for path, item in document["paths"].items():
        get = item.get("get")
        if path not in heads or get is None or "head" in item:
            continue
        if "101" in get.get("responses", {}):
            continue  # a WebSocket: only a GET is a handshake (RFC 6455 section 4.1)
        head = copy.deepcopy(get)
        if "operationId" in head:
            head["operationId"] += "_head"
        head["summary"] = f"HEAD {path}: the GET's answer without its body"
        head.pop("description", None)
        for response in head.get("responses", {}).values():
            response.pop("content", None)
            response.pop("links", None)
        item["head"] = head


async def _fragment(config: GatewayConfig, plugin: Any, sub: web.Application) -> Any:
    hook = config.discovered.manager
    try:
        fragment = await await_me_maybe(
            call_plugin_hook(
                hook, plugin.plugin.plugin, "gateway_openapi", app=sub, settings=plugin.settings
            )
        )
    except Exception:  # one plugin's broken description must not take the document down
        log.exception(
            "plugin %r: gateway_openapi failed; its routes are described minimally", plugin.name
        )
        return None
    if fragment is not None and not isinstance(fragment, dict):
        log.error("plugin %r: gateway_openapi returned %r, not a dict", plugin.name, fragment)
        return None
    # A JSON round trip, not deepcopy: a fragment may share one dict in many places, and the
    # renaming below must see each place as its own.
    return orjson.loads(orjson.dumps(fragment))


def _place(
    document: dict[str, Any], plugin: str | None, prefix: str, fragment: dict[str, Any]
) -> None:
    own = {kind: set(values) for kind, values in (fragment.get("components") or {}).items()}
    if plugin is not None:
        _rename(fragment, plugin, own)
    for kind, values in (fragment.get("components") or {}).items():
        target = document["components"].setdefault(kind, {})
        for name, value in values.items():
            key = f"{plugin}.{name}" if plugin is not None else name
            target[key] = value
    for path, item in (fragment.get("paths") or {}).items():
        full = prefix if path in ("", "/") and prefix else prefix + path
        entry = document["paths"].setdefault(full, {})
        for method, operation in item.items():
            if method in METHODS and isinstance(operation, dict):
                operation.setdefault("tags", [plugin or "gateway"])
                if plugin is not None and "operationId" in operation:
                    operation["operationId"] = f"{plugin}.{operation['operationId']}"
            entry[method] = operation


def _rename(node: Any, plugin: str, own: dict[str, set[str]]) -> None:
    """Rename the plugin's own component refs (and link targets) to ``plugin.Name``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                match = _REF.match(value)
                if match and match["name"] in own.get(match["kind"], ()):
                    node[key] = f"#/components/{match['kind']}/{plugin}.{match['name']}"
                elif match and match["name"] not in SHARED_COMPONENTS.get(match["kind"], ()):
                    raise ValueError(f"plugin {plugin!r}: $ref {value} names no component")
            elif key == "links" and isinstance(value, dict):
                for link in value.values():
                    if isinstance(link, dict) and "operationId" in link:
                        link["operationId"] = f"{plugin}.{link['operationId']}"
                _rename(value, plugin, own)
            else:
                _rename(value, plugin, own)
    elif isinstance(node, list):
        for item in node:
            _rename(item, plugin, own)


def _describe_missing(document: dict[str, Any], routes: Iterable[MountedRoute]) -> None:
    for route in routes:
        item = document["paths"].setdefault(route.path, {})
        method = route.method.lower()
        if method in item:
            continue
        who = f"plugin {route.plugin!r}" if route.plugin else "the gateway"
        operation: dict[str, Any] = {
            "tags": [route.plugin or "gateway"],
            "summary": f"{route.method} {route.path}",
            "description": f"Served by {who}, which does not describe this route.",
            "responses": {"default": {"description": "Not described by the plugin."}},
            "x-gateway-described": False,
        }
        names = _PATH_PARAMETER.findall(route.path)
        if names:
            operation["parameters"] = [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in names
            ]
        item[method] = operation


def _drop_unmounted(
    document: dict[str, Any],
    routes: Iterable[MountedRoute],
    catch_all: dict[str, frozenset[str]],
) -> None:
    """Drop what a fragment describes but the gateway does not serve (metrics off, say)."""
    served = {(route.path, route.method.lower()) for route in routes}
    for path in list(document["paths"]):
        item = document["paths"][path]
        for method in [m for m in item if m in METHODS]:
            if (path, method) not in served and not served_by_catch_all(path, method, catch_all):
                del item[method]
        if not any(m in METHODS for m in item):
            del document["paths"][path]


# What the host itself answers on any operation, before a plugin sees the request
# (gateway/protocol.py, gateway/dispatch.py, aiohttp's routing).
_HOST_STATUSES: dict[str, str] = {
    "400": "The request is not valid HTTP (its request line, a header or its chunked body).",
    "405": "The method is not allowed on this path; `Allow` lists those that are.",
    "414": "The request line is longer than the server accepts (8190 bytes).",
    "417": "An `Expect` other than `100-continue`.",
    "431": "A header line is longer than the server accepts, or there are too many headers.",
    "501": "The body was sent with a transfer coding other than `chunked` (RFC 9112 6.1).",
}
# And on any operation that reads a request body (gateway/bodies.py).
_BODY_STATUSES: dict[str, str] = {
    "408": "The body did not arrive within the gateway's `body_timeout`.",
    "413": "The body is larger than this endpoint accepts.",
}
_ALLOW = {
    "description": "The methods this path serves.",
    "schema": {"type": "string"},
}


def _add_shared(document: dict[str, Any]) -> None:
    for operation in _operations(document):
        responses = operation.setdefault("responses", {})
        responses.setdefault("500", problem_response("The gateway failed; see its log."))
        statuses = dict(_HOST_STATUSES)
        if "requestBody" in operation:
            statuses.update(_BODY_STATUSES)
        for status, description in statuses.items():
            own = responses.get(status)
            if own is None:
                headers = {"Allow": _ALLOW} if status == "405" else None
                responses[status] = problem_response(description, headers=headers)
            elif "$ref" not in own and description not in own.get("description", ""):
                own["description"] = f"{own.get('description', '')} Or: {description}".strip()
        for response in responses.values():
            if "$ref" not in response:
                response.setdefault("headers", {}).setdefault(
                    REQUEST_ID_HEADER, {"$ref": REQUEST_ID_REF}
                )
        parameters = operation.setdefault("parameters", [])
        if {"$ref": REQUEST_ID_PARAMETER_REF} not in parameters:
            parameters.append({"$ref": REQUEST_ID_PARAMETER_REF})


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                yield operation


def _chain(route: MountedRoute, chains: dict[str, list[dict[str, Any]]]) -> tuple[str, ...]:
    """The middlewares that run on ``route``: its plugin's prefix, or the gateway's own."""
    if route.prefix is not None:
        scope: str | None = route.prefix
    elif route.path == "/metrics":
        scope = "/metrics"
    elif route.path.startswith("/_gateway/"):
        scope = "/_gateway"
    else:
        scope = None  # /openapi.json and /docs: no plugin middleware runs there
    return tuple(str(entry["name"]) for entry in chains.get(scope, [])) if scope else ()


async def _extend(
    document: dict[str, Any],
    config: GatewayConfig,
    routes: list[MountedRoute],
    chains: dict[str, list[dict[str, Any]]],
) -> None:
    # Every enabled plugin may add what its middlewares do, whether it is mounted or not.
    described = [
        OpenAPIRoute(r.method, r.path, r.plugin, r.prefix, _chain(r, chains))
        for r in routes
        if r.method.lower() in document["paths"].get(r.path, {})
    ]
    security: dict[tuple[str, str], list[list[dict[str, list[str]]]]] = {}
    # Responses a middleware plugin added: another's for the same status is merged into it;
    # a status the serving plugin describes itself keeps its description.
    extended: set[tuple[str, str, str]] = set()
    manager = config.discovered.manager
    for plugin in sorted(config.plugins.values(), key=lambda p: p.name):
        if not plugin.enabled or plugin.plugin.plugin is None:
            continue
        try:
            extension = await await_me_maybe(
                call_plugin_hook(
                    manager,
                    plugin.plugin.plugin,
                    "gateway_openapi_extend",
                    routes=list(described),
                    settings=plugin.settings,
                    config=config,
                )
            )
        except Exception:
            log.exception("plugin %r: gateway_openapi_extend failed", plugin.name)
            continue
        if extension is None:
            continue
        for kind, values in extension.components.items():
            document["components"].setdefault(kind, {}).update(copy.deepcopy(values))
        for route, added in extension.operations.items():
            operation = document["paths"][route.path][route.method.lower()]
            if operation.get("x-gateway-described") is False and any(
                status.startswith("2") for status in added.responses
            ):
                # A route the serving side left undescribed (a plugin's admin route under
                # /_gateway) that this plugin describes: its answers replace the placeholder.
                del operation["x-gateway-described"]
                operation["responses"].pop("default", None)
                operation["description"] = f"Described by plugin {plugin.name!r}."
            for status, response in added.responses.items():
                response = copy.deepcopy(response)
                response.setdefault("headers", {}).setdefault(
                    REQUEST_ID_HEADER, {"$ref": REQUEST_ID_REF}
                )
                key = (route.path, route.method, status)
                existing = operation["responses"].get(status)
                if existing is None:
                    operation["responses"][status] = response
                    extended.add(key)
                elif key in extended:
                    # Two middlewares answer the same status (auth's and ratelimit's 429).
                    existing["description"] += f" Or: {response['description']}"
                    for name, header in response.get("headers", {}).items():
                        existing.setdefault("headers", {}).setdefault(name, header)
            operation["parameters"].extend(copy.deepcopy(added.parameters))
            if added.headers:
                for response in operation["responses"].values():
                    if "$ref" not in response:
                        for name, header in added.headers.items():
                            response.setdefault("headers", {}).setdefault(
                                name, copy.deepcopy(header)
                            )
            if added.security is not None:
                security.setdefault((route.path, route.method), []).append(added.security)
    for (path, method), lists in security.items():
        document["paths"][path][method.lower()]["security"] = either_of(lists)


def either_of(lists: Iterable[list[dict[str, list[str]]]]) -> list[dict[str, list[str]]]:
    """Several plugins' security requirements for one operation, as one list of alternatives.

    Identity providers combine (README.md, "Identity providers side by side"): each plugin's
    requirements are more ways in, so the lists are joined, not multiplied (in OpenAPI a list
    of requirement objects is OR, the schemes inside one object AND). The empty requirement
    ``{}`` (anonymous) is kept only when every plugin allows it: one that needs a credential
    (auth on a route whose rule needs a scope) makes a credential needed.

    Where the plugins that need a credential name one list of roles for all their schemes
    (auth: the scope the route's rule needs), the other plugins' schemes that name none get it
    too: the rule asks it of the caller whichever provider identified them, so a JWT that may
    write is ``{"jwt": ["write"]}``, not any JWT.
    """
    given = [alternatives for alternatives in lists if alternatives]
    combined: list[dict[str, list[str]]] = []
    anonymous = bool(given) and all({} in alternatives for alternatives in given)
    if anonymous:
        combined.append({})
    needed = {
        tuple(roles)
        for alternatives in given
        if {} not in alternatives
        for requirement in alternatives
        for roles in requirement.values()
    }
    roles = list(needed.pop()) if len(needed) == 1 else []
    for alternatives in given:
        identifies_only = {} in alternatives  # a provider that requires nothing itself
        for requirement in alternatives:
            if identifies_only and roles:
                requirement = {name: own or roles for name, own in requirement.items()}
            if requirement and requirement not in combined:
                combined.append(requirement)
    return combined


def _shared_components() -> dict[str, Any]:
    return {
        "schemas": {
            "Problem": {
                "type": "object",
                "description": "An RFC 9457 problem: every error the gateway answers.",
                "required": ["type", "title", "status"],
                "properties": {
                    "type": {"type": "string", "description": "about:blank unless specific"},
                    "title": {"type": "string"},
                    "status": {"type": "integer", "minimum": 100, "maximum": 599},
                    "detail": {"type": "string"},
                    "instance": {
                        "type": "string",
                        "description": (
                            "the request's path; for a request the server could not parse, "
                            "`urn:uuid:` and its X-Request-ID"
                        ),
                    },
                    "errors": {
                        "type": "array",
                        "description": "each problem of a 422: a body member or a parameter",
                        "items": {"$ref": "#/components/schemas/ProblemItem"},
                    },
                },
            },
            "ProblemItem": {
                "type": "object",
                "required": ["detail"],
                "properties": {
                    "pointer": {
                        "type": "string",
                        "description": "RFC 6901 JSON Pointer into the body, as a URI fragment",
                    },
                    "parameter": {"type": "string", "description": "the query or path parameter"},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
        "headers": {
            "X-Request-ID": {
                "description": "The request's id, also written in every log line of it.",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:/+=-]{1,128}$"},
            },
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 0},
            },
        },
        "parameters": {
            "X-Request-ID": {
                "name": REQUEST_ID_HEADER,
                "in": "header",
                "required": False,
                "description": "Your id for this request; kept when sane, replaced otherwise.",
                "schema": {"type": "string"},
            },
        },
    }


async def openapi_view(request: web.Request) -> web.Response:
    """``GET /openapi.json``: built once, on the first request, then served as is."""
    from gateway.responses import json_response

    cache = request.app[DOCUMENT]
    if "document" not in cache:
        cache["document"] = await build_document(request.app)
    asset = cache.get("asset")
    if asset is None:
        # Encoded once, and each coding made once (gateway/static_assets.py): 63 KB as
        # JSON, a tenth of it compressed.
        body = json_response(cache["document"]).body
        assert isinstance(body, bytes)
        asset = cache["asset"] = document_asset("openapi.json", body, "application/json")
    return await answer(request, asset, {"Cache-Control": "no-cache"})


def add_openapi_route(root: web.Application) -> None:
    """Serve ``GET /openapi.json`` from ``root`` (before it freezes)."""
    root[DOCUMENT] = {}
    root.router.add_get("/openapi.json", openapi_view)
