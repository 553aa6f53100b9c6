"""gateway: a plugin-based HTTP gateway on aiohttp.

Plugin authors need only what this package exports::

    from gateway import HealthCheck, CheckResult, Middleware, PluginInfo, PluginSettings, hookimpl

What a plugin reads of a request, as cheap as a dict lookup: ``request_id_of``,
``identity_of``, ``client_address``, ``mounted_plugin``; and what its middleware puts on the
request's answer, streamed or not: ``response_fields``, and ``on_prepare`` to change that
answer as it is prepared. Content codings (``Accept-Encoding``, streaming compressors):
``choose_coding``, ``compressor``, ``compress_whole``, ``is_compressible``. Counting on the
request path for ``/metrics``: ``Tally``; the gateway's traces, for a plugin's own spans:
``app[TRACER_PROVIDER]``.
"""

import pluggy

from gateway.bodies import read_body
from gateway.cache_control import (
    Freshness,
    RequestDirectives,
    age_field,
    current_age,
    freshness,
    http_date,
    initial_age,
    parse_cache_control,
    storable_response,
)
from gateway.cache_entry import (
    OriginFailure,
    StoredResponse,
    VaryMarker,
    decode_entry,
    encode_entry,
    stored_fields,
    variant_key,
    vary_names,
)
from gateway.cache_failures import OriginFailures
from gateway.cache_fill import FillCoalescer, FillTurn
from gateway.cache_purge import purge_operations, purge_routes
from gateway.cache_status import add_cache_status, cache_status
from gateway.cache_store import CacheStore, MemoryCacheStore, RedisCacheStore, open_cache_store
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
from gateway.encodings import (
    CODINGS,
    COMPRESSIBLE_TYPES,
    LEVEL_RANGES,
    STREAM_LEVELS,
    Compressor,
    choose_coding,
    compress_whole,
    compressor,
    is_compressible,
)
from gateway.errors import MAX_LISTED_ERRORS, ProblemError
from gateway.expect import continue_when_read, send_continue
from gateway.health import worst
from gateway.health_report import not_ready_because, run_health_checks
from gateway.http_cache import CachePolicy, HttpCache
from gateway.identity import identity_of
from gateway.keys import ADMIN_ROUTES, CLIENT_ADDRESS, IDENTITY, REQUEST_ID, TRACER_PROVIDER
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
from gateway.response_fields import on_prepare, response_fields
from gateway.responses import json_response
from gateway.session_secret import session_secret
from gateway.store_urls import check_store_url
from gateway.tallies import Tally
from gateway.version import __version__
from gateway.window_counts import MemoryCounts

hookimpl = pluggy.HookimplMarker("gateway")

__all__ = [
    "ADMIN_ROUTES",
    "CLIENT_ADDRESS",
    "CODINGS",
    "COMPRESSIBLE_TYPES",
    "IDENTITY",
    "LEVEL_RANGES",
    "MAX_LISTED_ERRORS",
    "REQUEST_ID",
    "RETRY_AFTER",
    "STREAM_LEVELS",
    "TRACER_PROVIDER",
    "CachePolicy",
    "CacheStore",
    "CheckResult",
    "Compressor",
    "FillCoalescer",
    "FillTurn",
    "Freshness",
    "GatewayConfig",
    "Handler",
    "HealthCheck",
    "HttpCache",
    "Identity",
    "MemoryCacheStore",
    "MemoryCounts",
    "Middleware",
    "OpenAPIExtension",
    "OpenAPIRoute",
    "OperationExtension",
    "OriginFailure",
    "OriginFailures",
    "PluginInfo",
    "PluginSettings",
    "Priority",
    "ProblemError",
    "RedisCacheStore",
    "RequestDirectives",
    "StoredResponse",
    "Tally",
    "VaryMarker",
    "__version__",
    "add_cache_status",
    "address_bucket",
    "age_field",
    "cache_status",
    "check_store_url",
    "choose_coding",
    "client_address",
    "compress_whole",
    "compressor",
    "continue_when_read",
    "copy_request_id",
    "current_age",
    "decode_entry",
    "encode_entry",
    "freshness",
    "hookimpl",
    "http_date",
    "identity_of",
    "initial_age",
    "is_compressible",
    "is_preflight",
    "json_response",
    "model_schemas",
    "mounted_plugin",
    "not_ready_because",
    "on_prepare",
    "open_cache_store",
    "openapi_problem_response",
    "parse_cache_control",
    "purge_operations",
    "purge_routes",
    "query_parameters",
    "read_body",
    "redact",
    "request_id_of",
    "request_scope",
    "response_fields",
    "run_health_checks",
    "scopes_named",
    "send_continue",
    "session_secret",
    "storable_response",
    "stored_fields",
    "variant_key",
    "vary_names",
    "worst",
]
