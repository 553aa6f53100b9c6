"""The upstream's own OpenAPI document, placed under the instance's prefix.

Read when ``/openapi.json`` is first built; a document that cannot be read or is not OpenAPI
is left out with a warning, and the proxied routes are then described minimally by the host.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from gateway_plugins.proxy.forward import Forwarder
from gateway_plugins.proxy.settings import ProxySettings

log = logging.getLogger("gateway.proxy")

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


async def describe(forwarder: Forwarder, settings: ProxySettings) -> dict[str, Any] | None:
    if settings.openapi_url is None:
        return None
    first = forwarder.targets.all[0]
    url = settings.openapi_url
    if url.startswith("/"):
        url = first.origin + first.base + url
    timeout = settings.timeouts.connect + settings.timeouts.first_byte
    try:
        async with (
            aiohttp.ClientSession() as session,
            asyncio.timeout(timeout),
            session.get(url, ssl=forwarder.ssl_for(url)) as response,
        ):
            response.raise_for_status()
            document = await response.json(content_type=None)
    except Exception as exc:  # any failure leaves the document out, never the gateway's
        log.warning("proxy: the upstream's OpenAPI document at %s is left out: %s", url, exc)
        return None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        log.warning("proxy: %s is not an OpenAPI document (no paths); left out", url)
        return None
    return _as_fragment(document, first.base, forwarder.mount_prefix(), settings.strip_prefix)


def _as_fragment(
    document: dict[str, Any], base: str, prefix: str, strip_prefix: bool
) -> dict[str, Any]:
    own_root = base if strip_prefix else base + prefix
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        if not isinstance(path, str) or not isinstance(item, dict):
            continue
        if own_root:
            if not (path == own_root or path.startswith(own_root + "/")):
                continue
            path = path[len(own_root) :] or "/"
        paths[path] = {k: v for k, v in item.items() if k in _METHODS or k == "parameters"}
    components = document.get("components")
    return {"paths": paths, "components": components if isinstance(components, dict) else {}}
