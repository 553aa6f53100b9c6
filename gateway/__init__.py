"""gateway: a plugin-based HTTP gateway on aiohttp.

Plugin authors need only what this package exports::

    from gateway import HealthCheck, CheckResult, Middleware, PluginInfo, PluginSettings, hookimpl

What a plugin reads of a request, as cheap as a dict lookup: ``request_id_of``,
``identity_of``, ``client_address``, ``mounted_plugin``; and what its middleware puts on the
request's answer, streamed or not: ``response_fields``.
"""

import pluggy

from gateway.bodies import read_body
from gateway.errors import ProblemError
from gateway.health import CheckResult, HealthCheck
from gateway.identity import Identity, identity_of
from gateway.keys import CLIENT_ADDRESS, IDENTITY, REQUEST_ID
from gateway.middleware import Middleware, Priority, is_preflight, mounted_plugin, request_scope
from gateway.plugins import PluginInfo, PluginSettings
from gateway.proxies import client_address
from gateway.request_id import request_id_of
from gateway.response_fields import response_fields
from gateway.responses import json_response
from gateway.window_counts import MemoryCounts

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("gateway")

__all__ = [
    "CLIENT_ADDRESS",
    "IDENTITY",
    "REQUEST_ID",
    "CheckResult",
    "HealthCheck",
    "Identity",
    "MemoryCounts",
    "Middleware",
    "PluginInfo",
    "PluginSettings",
    "Priority",
    "ProblemError",
    "__version__",
    "client_address",
    "hookimpl",
    "identity_of",
    "is_preflight",
    "json_response",
    "mounted_plugin",
    "read_body",
    "request_id_of",
    "request_scope",
    "response_fields",
]
