"""proxy: put the gateway's keys, limits and CORS in front of an existing HTTP service.

A streaming reverse proxy: load balancing, retries, health checks, WebSockets and upstream
TLS. Each ``[plugins.NAME]`` table is one instance with its own targets. See docs/proxy.md.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway import GatewayConfig, HealthCheck, PluginInfo, hookimpl
from gateway_plugins.proxy.app import build_app
from gateway_plugins.proxy.checks import targets_check
from gateway_plugins.proxy.keys import FORWARDER
from gateway_plugins.proxy.openapi import describe
from gateway_plugins.proxy.settings import ProxySettings


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="proxy",
        default_prefix="/proxy",
        settings=ProxySettings,
        description="Reverse proxy to existing HTTP services: streaming, balanced, retried.",
    )


@hookimpl
def gateway_create_app(
    settings: ProxySettings, config_dir: str, instance: str, config: GatewayConfig
) -> web.Application:
    # The instance's metrics only where /metrics serves them: an observation costs every
    # request, as the host's own do ([gateway] metrics).
    return build_app(settings, Path(config_dir), instance, measured=config.gateway.metrics)


@hookimpl
def gateway_health_checks(app: web.Application, settings: ProxySettings) -> list[HealthCheck]:
    return [
        HealthCheck(
            "targets",
            partial(targets_check, app[FORWARDER]),
            timeout=1.0,
            component_type="component",
            required=settings.health_required,
        )
    ]


@hookimpl
async def gateway_openapi(app: web.Application, settings: ProxySettings) -> dict[str, Any] | None:
    return await describe(app[FORWARDER], settings)
