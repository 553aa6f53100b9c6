"""The OpenAPI description of the gateway's own endpoints (``/openapi.json``, ``/_gateway/*``,
``/metrics``, the docs page and the dashboard). Paths the config leaves unserved (``/metrics``
with metrics off) are dropped by the host like any other unserved path."""

from typing import Any

_HTML = {"text/html": {"schema": {"type": "string"}}}

HOST_FRAGMENT: dict[str, Any] = {
    "paths": {
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document of every mounted plugin.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/docs": {
            "get": {
                "operationId": "docs",
                "summary": "The interactive API reference (Swagger UI, served by the gateway)",
                "responses": {"200": {"description": "An HTML page.", "content": _HTML}},
            }
        },
        "/_gateway/": {
            "get": {
                "operationId": "dashboard",
                "summary": "The operator dashboard",
                "responses": {"200": {"description": "An HTML page.", "content": _HTML}},
            }
        },
        "/_gateway/plugins": {
            "get": {
                "operationId": "plugins",
                "summary": "Every plugin instance: name, plugin, version, status, prefix, health",
                "description": "Settings are shown with secrets redacted; each instance's "
                "health checks run at the request.",
                "responses": {
                    "200": {
                        "description": "The plugin report, as `gateway plugins --json` prints it.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["plugins", "middlewares"],
                                    "properties": {
                                        "plugins": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/PluginRow"},
                                        },
                                        "middlewares": {
                                            "$ref": "#/components/schemas/MiddlewareChains"
                                        },
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
        "/_gateway/status": {
            "get": {
                "operationId": "status",
                "summary": "What the dashboard shows: plugins, checks, traffic of the last minutes",
                "responses": {
                    "200": {
                        "description": "A snapshot; `traffic.available` is false with metrics off.",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/DashboardStatus"}
                            }
                        },
                    }
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics ([gateway] metrics = true)",
                "responses": {
                    "200": {
                        "description": "The Prometheus text exposition format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "PluginRow": {
                "type": "object",
                "required": ["name", "status", "enabled", "source"],
                "properties": {
                    "name": {"type": "string", "description": "The instance: its table's name."},
                    "plugin": {"type": "string", "description": "The plugin it is of."},
                    "label": {
                        "type": "string",
                        "description": "How it is shown: `billing (proxy)`, or `notes`.",
                    },
                    "version": {"type": ["string", "null"]},
                    "source": {"type": "string"},
                    "description": {"type": "string"},
                    "enabled": {"type": "boolean"},
                    "prefix": {"type": ["string", "null"]},
                    "hooks": {"type": "array", "items": {"type": "string"}},
                    "status": {"enum": ["mounted", "active", "enabled", "disabled", "failed"]},
                    "middlewares": {"type": "array", "items": {"type": "object"}},
                    "error": {"type": ["string", "null"]},
                    "settings": {},
                    "health": {
                        "type": "object",
                        "description": "The instance's own health checks, run at this request "
                        "(an instance that contributes none has no `health`).",
                        "required": ["status", "checks"],
                        "properties": {
                            "status": {"enum": ["pass", "warn", "fail"]},
                            "checks": {"type": "object"},
                        },
                    },
                },
            },
            "MiddlewareChains": {
                "type": "object",
                "description": "By prefix: the middlewares that run there, outermost first.",
                "additionalProperties": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "priority"],
                        "properties": {"name": {"type": "string"}, "priority": {"type": "integer"}},
                    },
                },
            },
            "DashboardStatus": {
                "type": "object",
                "required": ["plugins", "middlewares", "health", "traffic"],
                "properties": {
                    "plugins": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/PluginRow"},
                    },
                    "middlewares": {"$ref": "#/components/schemas/MiddlewareChains"},
                    "health": {"type": "object"},
                    "traffic": {"type": "object"},
                },
            },
        }
    },
}
