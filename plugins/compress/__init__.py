"""Compression of answers by the client's ``Accept-Encoding``: zstd, Brotli and gzip, for
answers built in memory and streamed ones alike (a middleware-only plugin). See
docs/compress.md.

Not aiohttp's ``enable_compression``: it reads ``Accept-Encoding`` as a substring
(``gzip;q=0`` turns gzip on), offers gzip and deflate only and never flushes a stream.
"""

from __future__ import annotations

from aiohttp import web

from gateway import GatewayConfig, Middleware, PluginInfo, hookimpl
from gateway_plugins.compress.middleware import Compress
from gateway_plugins.compress.settings import CompressSettings


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="compress",
        settings=CompressSettings,
        description="zstd, Brotli and gzip answers by Accept-Encoding, streams flushed.",
    )


@hookimpl
def gateway_middlewares(
    app: web.Application, settings: CompressSettings, config: GatewayConfig
) -> list[Middleware]:
    return Compress(settings).middlewares()
