"""Typed keys for what one proxy instance keeps on its own application."""

from __future__ import annotations

from aiohttp import web

from gateway_plugins.proxy.forward import Forwarder

FORWARDER = web.AppKey("proxy.forwarder", Forwarder)
