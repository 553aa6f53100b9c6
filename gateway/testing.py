"""The testing kit: build and start a gateway in a test, as production does, and talk to it.

Installed with gateway, and registered as a pytest plugin (the ``pytest11`` entry point), so
its fixtures exist in any project whose tests run where gateway is installed::

    import gateway_hello

    async def test_hello(gateway_client):
        client = await gateway_client(plugins=[gateway_hello])
        response = await client.get("/hello", params={"name": "Ada"})
        assert await response.json() == {"message": "Hello, Ada!"}

    async def test_unknown_path(gateway_client):
        client = await gateway_client(plugins=[gateway_hello])
        await assert_problem(await client.get("/hello/a/b"), 404)

    def test_command(gateway_cli):
        result = gateway_cli("hello", "Ada", plugins=[gateway_hello])
        assert result.exit_code == 0 and result.stdout == "Hello, Ada!\\n"

(``gateway_hello`` as ``gateway new-plugin hello --with-command`` writes it.) A plugin given
to ``plugins=`` that fails to load raises :class:`PluginLoadError`. The fixtures need
pytest-asyncio (``pip install "gateway[testing]"``) with ``asyncio_mode = "auto"``;
docs/testing.md has the whole guide, and its examples run in tests/docs.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import socket
import threading
import tomllib
import warnings
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.typedefs import StrOrURL
from yarl import URL

from gateway.app import create_app
from gateway.config import ConfigError, GatewayConfig, load_config, validate_config
from gateway.drain import DrainingRunner
from gateway.errors import PROBLEM_CONTENT_TYPE
from gateway.keys import CONFIG
from gateway.log_writer import writer
from gateway.logs import runner_options
from gateway.plugins import (
    DiscoveredPlugins,
    _import_from_folder,
    discover,
    undecorated_warning,
)
from gateway.request_id import HEADER

# What a test names as a plugin: a module or object with hookimpls, or (name, object).
PluginArg = Any
BUILTIN_PLUGINS = ("health", "notes", "crypto")
# Where errors of a config given as a dict (or TOML text) are said to come from.
CONFIG_LABEL = "<config given in the test>"


class PluginLoadError(Exception):
    """A plugin given to ``plugins=`` could not be loaded (the kit never starts without it).

    ``name`` is the plugin's, ``error`` what the gateway reports for it (as ``gateway plugins``
    lists it); the exception that caused it, when one did, is chained as ``__cause__``, so the
    traceback shows the plugin's own line.
    """

    def __init__(self, name: str, source: str, error: str) -> None:
        super().__init__(f"plugin {name!r} ({source}) failed to load: {error}")
        self.name = name
        self.error = error


class UndecoratedHookWarning(UserWarning):
    """A plugin has a function named like a gateway hook without ``@hookimpl``: pluggy
    ignores it, so the hook would silently never run."""


def refuse_failed_plugins(discovered: DiscoveredPlugins) -> None:
    """Raise :class:`PluginLoadError` for the first plugin registered in code (``plugins=``)
    that failed to load or is not used (another plugin has its name)."""
    for found in discovered.plugins.values():
        if found.kind == "code" and found.error is not None:
            raise PluginLoadError(found.name, found.source, found.error) from found.exception


def warn_undecorated_hooks(discovered: DiscoveredPlugins) -> None:
    """Warn (:class:`UndecoratedHookWarning`, at the function's own line) about each function
    of a loaded plugin that is named like a hook but is not one."""
    for found in discovered.plugins.values():
        for name in found.undecorated:
            message = f"plugin {found.name!r} ({found.source}): {undecorated_warning(name)}"
            _warn_at(getattr(found.plugin, name), message)


def _warn_at(function: Any, message: str) -> None:
    """Warn with the location of ``function``'s definition, where the fix goes."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None:  # a callable object: no source line to point at
        warnings.warn(message, UndecoratedHookWarning, stacklevel=3)
        return
    warnings.warn_explicit(message, UndecoratedHookWarning, code.co_filename, code.co_firstlineno)


def plugin_objects(plugins: Iterable[PluginArg]) -> list[tuple[str, Any]]:
    """``(name, object)`` pairs for discovery; a bare object is named after its module."""
    pairs = []
    for plugin in plugins:
        if isinstance(plugin, tuple):
            pairs.append(plugin)
        else:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            pairs.append((name.rsplit(".", 1)[-1], plugin))
    return pairs


def import_folder_plugin(path: str | Path) -> ModuleType:
    """Import a folder plugin (``my_plugins/hello.py`` or the package ``my_plugins/hello/``)
    exactly as the gateway does for ``[gateway] plugin_dirs``, and return the module.

    Pass it to ``plugins=`` like an installed module. The module is private to its folder:
    two folders that both hold ``hello`` never share a ``sys.modules`` entry.
    """
    path = Path(path).absolute()
    if path.is_dir():
        return _import_from_folder(path / "__init__.py", path.parent, path.name)
    return _import_from_folder(path, path.parent, path.stem)


def build_config(
    config: Mapping[str, Any] | str | Path | None = None,
    *,
    plugins: Iterable[PluginArg] = (),
    builtins: bool | Iterable[str] = False,
    config_dir: str | Path | None = None,
) -> GatewayConfig:
    """A validated :class:`GatewayConfig`, as ``gateway check`` would load it.

    - ``config``: a dict (parsed TOML), TOML text, or the :class:`~pathlib.Path` of a file.
      ``None`` enables every plugin in ``plugins`` with its defaults.
    - ``plugins``: plugin objects registered as if discovered.
    - ``builtins``: ``False`` loads no installed plugin at all, so the test sees only its own
      (hermetic, whatever else is installed); ``True`` loads the installed plugins and enables
      the built-in ones (health, notes, crypto) with their defaults unless ``config`` has a
      table for them; a list of names loads the installed plugins and enables just those
      (``[]``: none beyond the config's own tables).
    - ``config_dir``: the folder relative paths resolve against (default: the current one).

    Raises :class:`gateway.config.ConfigError` as ``gateway check`` reports it, and
    :class:`PluginLoadError` when a plugin of ``plugins`` fails to load (whatever the config
    says: a test names only plugins it means to run). Warns with
    :class:`UndecoratedHookWarning` about a function named like a hook without ``@hookimpl``.
    """
    try:
        loaded = _validated(config, plugin_objects(plugins), builtins, config_dir)
    except ConfigError as exc:
        if exc.discovered is not None:
            refuse_failed_plugins(exc.discovered)
        raise
    refuse_failed_plugins(loaded.discovered)
    warn_undecorated_hooks(loaded.discovered)
    return loaded


def _validated(
    config: Mapping[str, Any] | str | Path | None,
    pairs: list[tuple[str, Any]],
    builtins: bool | Iterable[str],
    config_dir: str | Path | None,
) -> GatewayConfig:
    folder = Path(config_dir) if config_dir is not None else Path.cwd()
    if isinstance(config, Path):
        return load_config(config, extra_plugins=pairs)
    if config is None:
        # Enable each plugin under the name it declares, which is not always its module's.
        declared = discover((), pairs, entry_points=False).plugins.values()
        data: dict[str, Any] = {"plugins": {p.name: {} for p in declared if p.info is not None}}
    elif isinstance(config, str):
        data = tomllib.loads(config)
    else:
        data = {
            key: dict(value) if isinstance(value, Mapping) else value
            for key, value in config.items()
        }
    enable = BUILTIN_PLUGINS if builtins is True else () if builtins is False else builtins
    if enable:
        tables = data.setdefault("plugins", {})
        for name in enable:
            tables.setdefault(name, {})
    return validate_config(
        data,
        folder.absolute() / "plugins.toml",
        extra_plugins=pairs,
        entry_points=builtins is not False,
        label=CONFIG_LABEL,
    )


async def gateway_app(
    config: Mapping[str, Any] | str | Path | None = None,
    *,
    plugins: Iterable[PluginArg] = (),
    builtins: bool | Iterable[str] = (),
    config_dir: str | Path | None = None,
    strict: bool = True,
) -> web.Application:
    """The root application for ``config``, built but not started (see :func:`build_config`).

    Unlike the fixtures, installed plugins load here by default (``builtins=()``: loaded, and
    mounted only when the config has their table). Start it with pytest-aiohttp's
    ``aiohttp_client``, or use the ``gateway_client`` fixture, which does both.
    """
    loaded = build_config(config, plugins=plugins, builtins=builtins, config_dir=config_dir)
    return await create_app(loaded, strict=strict)


class GatewayTestServer(TestServer):
    """aiohttp's test server, serving through the gateway's own runner as ``gateway serve``
    does: its routing (gateway/dispatch.py), its answers to requests the HTTP parser refuses
    (gateway/protocol.py), its access log and its drain (without the accept-grace wait: no
    load balancer is watching a test).

    With ``[gateway] admin_port`` set it listens twice, as ``gateway serve`` does, and splits
    the paths the same way (gateway/admin_listener.py): the admin listener takes a free port
    of the same host instead of the configured one (which another test, or a real gateway, may
    hold), and :attr:`admin_url` is its address (``None`` without ``admin_port``).

    aiohttp's ``TestServer`` makes its runner in a private method, so :meth:`start_server`,
    :meth:`make_url` and :meth:`close` are its own, on aiohttp's public API.
    """

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.root_url: URL | None = None
        self.admin_url: URL | None = None
        self.stopped = False

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        if self.runner is not None:
            return
        settings = self.app[CONFIG].gateway
        ssl_context = kwargs.pop("ssl", None)
        options = {**runner_options(settings), "handler_cancellation": True, **kwargs}
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        admin_sock = None
        if settings.admin_port is not None:
            # Bound first: the runner splits the paths by this port from its set-up on.
            admin_sock = self.socket_factory(self.host, 0, family)
            options["admin_port"] = admin_sock.getsockname()[1]
        runner = DrainingRunner(self.app, settings, **options)
        runner.skip_grace = True
        self.runner = runner  # first: close() cleans up what a failed setup started
        try:
            await runner.setup()
            sock = self.socket_factory(self.host, self.port or 0, family)
            self.host, self.port = sock.getsockname()[:2]
            await web.SockSite(runner, sock, ssl_context=ssl_context).start()
            self.scheme = self.scheme or ("https" if ssl_context else "http")
            host = f"[{self.host}]" if family == socket.AF_INET6 else self.host
            self.root_url = URL(f"{self.scheme}://{host}:{self.port}")
            if admin_sock is not None:
                admin_port = admin_sock.getsockname()[1]
                await web.SockSite(runner, admin_sock, ssl_context=ssl_context).start()
                self.admin_url = URL(f"{self.scheme}://{host}:{admin_port}")
        except BaseException:
            if admin_sock is not None and self.admin_url is None:
                admin_sock.close()  # never handed to a site, which would close it
            raise

    def make_url(self, path: StrOrURL) -> URL:
        assert self.root_url is not None, "the server is not started"
        return self._joined(self.root_url, path)

    def make_admin_url(self, path: StrOrURL) -> URL:
        """The URL of ``path`` on the admin listener (``[gateway] admin_port`` set)."""
        assert self.admin_url is not None, "no admin listener: [gateway] admin_port is not set"
        return self._joined(self.admin_url, path)

    def _joined(self, root: URL, path: StrOrURL) -> URL:
        if self.skip_url_asserts:
            return URL(str(root) + str(path))
        url = URL(path)
        assert not url.absolute, url
        return root.join(url)

    @property
    def closed(self) -> bool:
        return self.stopped

    async def close(self) -> None:
        if self.runner is not None and not self.stopped:
            await self.runner.cleanup()
            self.root_url = None
            self.admin_url = None
            self.stopped = True
        writer.flush()  # the access lines now, into the test's captured output


class AdminListener(TestServer):
    """The admin listener of a started :class:`GatewayTestServer`, as a server an aiohttp
    ``TestClient`` can talk to: the gateway's own, started and closed with it."""

    def __init__(self, gateway: GatewayTestServer) -> None:
        assert gateway.admin_url is not None, "no admin listener: [gateway] admin_port is not set"
        super().__init__(gateway.app, host=gateway.host, port=gateway.admin_url.port)
        self.gateway = gateway

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        return None  # the gateway's server listens already

    def make_url(self, path: StrOrURL) -> URL:
        return self.gateway.make_admin_url(path)

    @property
    def closed(self) -> bool:
        return self.gateway.closed

    async def close(self) -> None:
        return None  # closed with the gateway's server, by its own client


class GatewayTestClient(TestClient[web.Request, web.Application]):
    """aiohttp's ``TestClient`` of a :class:`GatewayTestServer`, and :attr:`admin`, a client of
    its admin listener."""

    def __init__(self, server: GatewayTestServer, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self.gateway_server = server
        self.admin_client: TestClient[web.Request, web.Application] | None = None

    async def start_server(self) -> None:
        await super().start_server()
        if self.gateway_server.admin_url is not None and self.admin_client is None:
            self.admin_client = TestClient(AdminListener(self.gateway_server))
            await self.admin_client.start_server()

    @property
    def admin(self) -> TestClient[web.Request, web.Application]:
        """The client for the gateway's own paths (``/_gateway``, ``/metrics``, the health
        endpoints): with ``[gateway] admin_port`` set, a client of the admin listener (this
        client's address answers them 404, as ``gateway serve``'s public one does); without
        it, this client itself, which serves every path. A test written with ``client.admin``
        passes with and without an admin listener."""
        return self.admin_client if self.admin_client is not None else self

    async def close(self) -> None:
        if self.admin_client is not None:
            await self.admin_client.close()
        await super().close()


async def assert_problem(
    response: ClientResponse,
    status: int,
    *,
    detail: str | None = None,
    detail_contains: str | None = None,
    **members: Any,
) -> dict[str, Any]:
    """Assert that ``response`` is the gateway's RFC 9457 answer and return its body.

    Checks the status, ``Content-Type: application/problem+json``, the members every problem
    has (``type``, ``title``, ``status`` equal to the HTTP status, ``instance`` the request's
    path; with ``type`` ``about:blank``, ``title`` the status phrase), the ``X-Request-ID``
    header, and any ``detail`` or other member given.
    """
    body_text = await response.text()
    assert response.status == status, f"expected {status}, got {response.status}: {body_text}"
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith(PROBLEM_CONTENT_TYPE), (
        f"expected {PROBLEM_CONTENT_TYPE}, got {content_type!r}: {body_text!r}"
    )
    body = await response.json(content_type=None)
    for member in ("type", "title", "status", "instance"):
        assert member in body, f"problem has no {member!r}: {body}"
    assert body["status"] == status, body
    if body["type"] == "about:blank":  # RFC 9457 section 4.2.1
        assert body["title"] == HTTPStatus(status).phrase, body
    assert body["instance"] == response.url.path, body
    assert response.headers.get(HEADER), "the problem has no X-Request-ID"
    if detail is not None:
        assert body.get("detail") == detail, body
    if detail_contains is not None:
        assert detail_contains in body.get("detail", ""), body
    for name, value in members.items():
        assert body.get(name) == value, f"{name}: expected {value!r}, got {body.get(name)!r}"
    return body


@dataclass(frozen=True)
class CommandResult:
    """What ``gateway ARGS`` did: its exit code and everything it printed."""

    exit_code: int
    stdout: str
    stderr: str


_command_lock = threading.Lock()  # redirecting sys.stdout is process-wide


def run_gateway_command(
    *argv: str,
    config: Mapping[str, Any] | str | Path | None = None,
    plugins: Iterable[PluginArg] = (),
    builtins: bool | Iterable[str] = False,
    config_dir: str | Path | None = None,
) -> CommandResult:
    """Run ``gateway ARGV`` in this process (the host's own parser, ``--config`` and all) with
    the config and plugins of :func:`build_config`, and return what it printed.

    It runs in a thread of its own, so an ``async def`` command gets its own event loop. In an
    async test whose command talks to a server of the same test, call it through
    ``await asyncio.to_thread(...)`` so the test's loop keeps serving meanwhile.
    """
    from gateway.cli import run

    pairs = plugin_objects(plugins)

    def load(path: str | None) -> GatewayConfig:
        if path is not None:  # an explicit --config wins, as on the command line
            return load_config(path, extra_plugins=pairs)
        return build_config(config, plugins=pairs, builtins=builtins, config_dir=config_dir)

    outcome: dict[str, Any] = {}

    def target() -> None:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                outcome["code"] = run(list(argv), load=load)
            except SystemExit as exc:  # argparse's usage errors and --help
                outcome["code"] = exc.code if isinstance(exc.code, int) else 1
            except BaseException as exc:
                outcome["error"] = exc
        outcome["out"], outcome["err"] = out.getvalue(), err.getvalue()

    with _command_lock:
        thread = threading.Thread(target=target, name="gateway-command")
        thread.start()
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return CommandResult(int(outcome["code"] or 0), outcome["out"], outcome["err"])


# --- the pytest plugin --------------------------------------------------------------------

try:
    import pytest
    import pytest_asyncio
except ImportError:  # gateway installed without its testing extra: no fixtures, no failure
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest_asyncio.fixture
    async def gateway_client(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
        """A factory: ``await gateway_client(config=None, plugins=[...], builtins=False)``
        builds the gateway (see :func:`build_config`; ``config_dir`` defaults to the test's
        ``tmp_path``), starts it on a free 127.0.0.1 port exactly as ``gateway serve`` does
        (every ``on_startup`` and ``cleanup_ctx`` runs; shutdown and cleanup run when the test
        ends) and returns a :class:`GatewayTestClient` (an :class:`aiohttp.test_utils.TestClient`).

        ``client.server.make_url("/chat/ws")`` is the real URL, for WebSockets or a browser;
        ``client.admin`` reaches the gateway's own paths on the admin listener when the config
        sets ``[gateway] admin_port`` (``client`` itself otherwise).
        """
        clients: list[GatewayTestClient] = []

        async def make(
            config: Mapping[str, Any] | str | Path | None = None,
            *,
            plugins: Iterable[PluginArg] = (),
            builtins: bool | Iterable[str] = False,
            config_dir: str | Path | None = None,
            strict: bool = True,
        ) -> GatewayTestClient:
            loaded = build_config(
                config,
                plugins=plugins,
                builtins=builtins,
                config_dir=config_dir if config_dir is not None else tmp_path,
            )
            app = await create_app(loaded, strict=strict)
            client = GatewayTestClient(GatewayTestServer(app, host="127.0.0.1"))
            await client.start_server()
            clients.append(client)
            return client

        yield make
        for client in reversed(clients):
            await client.close()

    @pytest.fixture
    def gateway_cli(tmp_path: Path) -> Callable[..., CommandResult]:
        """:func:`run_gateway_command` with ``config_dir`` defaulting to the test's ``tmp_path``:
        ``gateway_cli("hello", "Ada", plugins=[gateway_hello]).stdout``."""

        def run(*argv: str, config_dir: str | Path | None = None, **kwargs: Any) -> CommandResult:
            folder = config_dir if config_dir is not None else tmp_path
            return run_gateway_command(*argv, config_dir=folder, **kwargs)

        return run

    @pytest.fixture
    def gateway_problem() -> Callable[..., Any]:
        """:func:`assert_problem`, for tests that prefer a fixture to an import."""
        return assert_problem
