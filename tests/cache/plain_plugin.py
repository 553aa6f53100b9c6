"""A plain plugin whose routes are the test origin's own, served inside the gateway at the
prefix its table gives: the cache in front of a plugin route, with no proxy between."""

from __future__ import annotations

from aiohttp import web

from gateway import PluginInfo, hookimpl
from tests.cache.origin import origin_app


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(name="plain", default_prefix="/plain")


@hookimpl
def gateway_create_app() -> web.Application:
    return origin_app()
