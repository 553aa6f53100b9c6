"""gateway: a plugin-based HTTP gateway on aiohttp.

Plugin authors need only what this package exports::

    from gateway import HealthCheck, CheckResult, PluginInfo, PluginSettings, hookimpl
"""

import pluggy

from gateway.bodies import read_body
from gateway.errors import ProblemError
from gateway.health import CheckResult, HealthCheck
from gateway.plugins import PluginInfo, PluginSettings
from gateway.responses import json_response

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("gateway")

__all__ = [
    "CheckResult",
    "HealthCheck",
    "PluginInfo",
    "PluginSettings",
    "ProblemError",
    "__version__",
    "hookimpl",
    "json_response",
    "read_body",
]
