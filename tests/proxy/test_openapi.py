"""The upstream's OpenAPI document merged into /openapi.json under the prefix."""

from __future__ import annotations

from aiohttp import web

from tests.processes import free_port

UPSTREAM_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "billing", "version": "1"},
    "paths": {
        "/invoices/{invoice_id}": {
            "get": {
                "operationId": "getInvoice",
                "parameters": [
                    {
                        "name": "invoice_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "An invoice.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Invoice"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {"Invoice": {"type": "object", "properties": {"id": {"type": "string"}}}}
    },
}


async def test_upstream_document_under_the_prefix(proxied, aiohttp_server) -> None:
    async def document(request: web.Request) -> web.Response:
        return web.json_response(UPSTREAM_DOCUMENT)

    app = web.Application()
    app.router.add_get("/openapi.json", document)
    server = await aiohttp_server(app, host="127.0.0.1")
    client = await proxied([server], prefix="/billing", openapi_url="/openapi.json")
    merged = await (await client.get("/openapi.json")).json()
    operation = merged["paths"]["/billing/invoices/{invoice_id}"]["get"]
    assert operation["parameters"][0]["name"] == "invoice_id"
    assert operation["operationId"] == "proxy.getInvoice"
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/proxy.Invoice"}
    assert "proxy.Invoice" in merged["components"]["schemas"]


async def test_unreadable_document_left_out_with_a_warning(proxied, caplog) -> None:
    client = await proxied(
        [f"http://127.0.0.1:{free_port()}"], prefix="/billing", openapi_url="/openapi.json"
    )
    response = await client.get("/openapi.json")
    assert response.status == 200
    merged = await response.json()
    assert not any(p.startswith("/billing/invoices") for p in merged["paths"])
    assert "OpenAPI document" in caplog.text and "left out" in caplog.text


async def test_prefix_kept_upstream_paths_not_doubled(proxied, aiohttp_server) -> None:
    prefixed = {**UPSTREAM_DOCUMENT, "paths": {"/billing/invoices": {"get": {"responses": {}}}}}

    async def document(request: web.Request) -> web.Response:
        return web.json_response(prefixed)

    app = web.Application()
    app.router.add_get("/openapi.json", document)
    server = await aiohttp_server(app, host="127.0.0.1")
    client = await proxied(
        [server], prefix="/billing", openapi_url="/openapi.json", strip_prefix=False
    )
    merged = await (await client.get("/openapi.json")).json()
    assert "/billing/invoices" in merged["paths"]
    assert not any(p.startswith("/billing/billing") for p in merged["paths"])
