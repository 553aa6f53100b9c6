"""The TLS context used for ``https://`` targets: verified by default."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

from gateway_plugins.proxy.settings import ProxySettings

log = logging.getLogger("gateway.proxy")


def client_context(settings: ProxySettings, config_dir: Path) -> ssl.SSLContext | None:
    """The context for the instance's https:// targets; ``None`` when it has none.

    Raises ``ValueError`` naming the setting when a CA, certificate or key cannot be read: the
    gateway does not start with TLS settings it cannot honour.
    """
    if not any(url.startswith("https://") for url in settings.upstreams):
        return None

    def resolve(key: str, name: str) -> str:
        path = Path(name)
        path = path if path.is_absolute() else config_dir / path
        if not path.is_file():
            raise ValueError(
                f"{key} = {name!r}: no such file {str(path)!r} (a relative path is read from "
                "plugins.toml's folder)"
            )
        return str(path)

    try:
        context = ssl.create_default_context(
            cafile=resolve("ca_file", settings.ca_file) if settings.ca_file else None
        )
        if settings.cert_file:
            context.load_cert_chain(
                resolve("cert_file", settings.cert_file),
                resolve("key_file", settings.key_file) if settings.key_file else None,
            )
    except ssl.SSLError as exc:
        raise ValueError(
            f"ca_file, cert_file or key_file is not a PEM file ssl can read: {exc}"
        ) from None
    if not settings.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        log.warning(
            "proxy to %s: verify = false, so the upstream's TLS certificate is not checked; "
            "anyone on the path can read and change this traffic",
            ", ".join(u for u in settings.upstreams if u.startswith("https://")),
        )
    return context
