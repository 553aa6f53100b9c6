"""Build the gateway in memory for tests: a plugin author's and the project's own.

::

    from gateway.testing import gateway_app

    async def test_hello(aiohttp_client):
        app = await gateway_app({"plugins": {"hello": {}}}, plugins=[("hello", hello)])
        client = await aiohttp_client(app)
        assert (await client.get("/hello")).status == 200
"""

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.app import create_app
from gateway.config import validate_config


async def gateway_app(
    config: Mapping[str, Any] | str,
    *,
    plugins: Iterable[tuple[str, Any]] = (),
    config_dir: str | Path | None = None,
    strict: bool = True,
) -> web.Application:
    """The root application for ``config`` (parsed TOML as a dict, or TOML text).

    ``plugins`` registers extra plugin objects (usually modules) by name, as if discovered;
    installed entry-point plugins load as usual, but only the ones the config enables mount.
    ``config_dir`` stands for the config file's folder (relative paths resolve against it).
    Raises :class:`gateway.config.ConfigError` exactly as ``gateway check`` would report it.
    """
    data = tomllib.loads(config) if isinstance(config, str) else config
    folder = Path(config_dir) if config_dir is not None else Path.cwd()
    loaded = validate_config(data, folder.absolute() / "plugins.toml", extra_plugins=plugins)
    return await create_app(loaded, strict=strict)
