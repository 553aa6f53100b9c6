"""gateway: a plugin-based HTTP gateway on aiohttp.

Plugin authors need only what this package exports::

    from gateway import HealthCheck, CheckResult, Middleware, PluginInfo, PluginSettings, hookimpl

What a plugin reads of a request, as cheap as a dict lookup: ``request_id_of``,
``identity_of``, ``client_address``, ``mounted_plugin``; and what its middleware puts on the
request's answer, streamed or not: ``response_fields``.
"""

import pluggy

from gateway.bodies import read_body
from gateway.contract import (
    CheckResult,
    GatewayConfig,
    Handler,
    HealthCheck,
    Identity,
    Middleware,
    OpenAPIExtension,
    OpenAPIRoute,
    OperationExtension,
    PluginInfo,
    PluginSettings,
    Priority,
)
from gateway.errors import MAX_LISTED_ERRORS, ProblemError
from gateway.health import worst
from gateway.health_report import not_ready_because, run_health_checks
from gateway.identity import identity_of
from gateway.keys import CLIENT_ADDRESS, IDENTITY, REQUEST_ID
from gateway.middleware import is_preflight, mounted_plugin, request_scope, scopes_named
from gateway.openapi import (
    RETRY_AFTER,
    model_schemas,
    problem_response as openapi_problem_response,
    query_parameters,
)
from gateway.proxies import address_bucket, client_address
from gateway.redact import redact
from gateway.request_id import copy_request_id, request_id_of
from gateway.response_fields import response_fields
from gateway.responses import json_response
from gateway.version import __version__
from gateway.window_counts import MemoryCounts

hookimpl = pluggy.HookimplMarker("gateway")

__all__ = [
    "CLIENT_ADDRESS",
    "IDENTITY",
    "MAX_LISTED_ERRORS",
    "REQUEST_ID",
    "RETRY_AFTER",
    "CheckResult",
    "GatewayConfig",
    "Handler",
    "HealthCheck",
    "Identity",
    "MemoryCounts",
    "Middleware",
    "OpenAPIExtension",
    "OpenAPIRoute",
    "OperationExtension",
    "PluginInfo",
    "PluginSettings",
    "Priority",
    "ProblemError",
    "__version__",
    "address_bucket",
    "client_address",
    "copy_request_id",
    "hookimpl",
    "identity_of",
    "is_preflight",
    "json_response",
    "model_schemas",
    "mounted_plugin",
    "not_ready_because",
    "openapi_problem_response",
    "query_parameters",
    "read_body",
    "redact",
    "request_id_of",
    "request_scope",
    "response_fields",
    "run_health_checks",
    "scopes_named",
    "worst",
]
