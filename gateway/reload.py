"""Live reload in one process: SIGHUP (or ``gateway reload``) swaps in a new application tree.

``gateway serve`` as one process keeps its listeners and its connections across a reload; what
changes is the tree of applications that answers (gateway/app.py's root and every plugin):

1. plugins.toml is read and validated as ``gateway check`` does (every plugin built, none
   started). An invalid file, or one that moves a listener (the sockets stay as they are), is
   refused: its problems are logged by file and key, and the running tree keeps serving.
2. The new tree starts (every plugin's ``cleanup_ctx`` and ``on_startup``). A plugin that fails
   to start abandons the reload: what had started is closed again, the running tree serves on.
3. The new tree answers every request from then on, on new connections and on the open ones
   (gateway/protocol.py, :meth:`~gateway.protocol.ProtocolRunner.serve`); readiness answers
   200 throughout, as the new tree has started before it serves.
4. The old tree is stopped: its plugins' ``on_shutdown`` (WebSockets closed with 1001), its
   requests in flight finish (``shutdown_timeout`` seconds at most, as in a drain, then 503),
   then its ``cleanup_ctx`` (pools, sessions, tasks). Its answers do not close their
   connections: the next request on each is the new tree's.

Every reload is counted as the workers' master counts its own (gateway/reload_metrics.py:
``done``, ``refused``, ``abandoned``), shown by ``/_gateway/status`` and ``/metrics``.
Reloads run one at a time, in the order asked. The listeners (``host``, ``port``, the admin
listener) are not rebound, and the event loop (``[gateway] loop``) is the process's own: those
change with a restart. Connections opened before a reload keep the access-log and keep-alive
settings they were opened with.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from gateway.config import ConfigError, GatewayConfig, load_config
from gateway.drain import DrainingRunner
from gateway.gc_tuning import refreeze
from gateway.logs import configure_logging, runner_options
from gateway.plugin_report import build_problems
from gateway.reload_metrics import record_reload

log = logging.getLogger("gateway.reload")

Address = tuple[str | None, int | None]


def moved_listeners(config: GatewayConfig, admin: Address, public: Address | None) -> list[str]:
    """One line per listener that ``config`` moves from where the gateway listens: the admin
    listener (``admin``: host and port, or ``(None, None)``) and, when the config chose it
    rather than ``--host``/``--port``, the public one (``public``)."""
    settings = config.gateway
    problems = []
    now = (settings.admin_host, settings.admin_port) if settings.admin_port else (None, None)
    if now != admin:
        problems.append(
            f"{config.path}: gateway.admin_port: the admin listener ({now[0]}:{now[1]}) differs "
            f"from the one the running gateway listens on ({admin[0]}:{admin[1]}) (fix: a "
            "reload keeps the addresses; restart the gateway to change them, or restore them)"
        )
    if public is not None and (settings.host, settings.port) != public:
        key = "gateway.port" if settings.port != public[1] else "gateway.host"
        problems.append(
            f"{config.path}: {key}: the address ({settings.host}:{settings.port}) differs from "
            f"the one the running gateway listens on ({public[0]}:{public[1]}) (fix: a reload "
            "keeps the addresses; restart the gateway to change them, or restore them)"
        )
    return problems


class Reloader:
    """The reloads of one ``gateway serve`` process, serving through ``runner``.

    ``public`` is the public address when the config chose it (a reload may not move it),
    None when ``--host`` or ``--port`` did.
    """

    def __init__(
        self, runner: DrainingRunner, config: GatewayConfig, public: Address | None
    ) -> None:
        self.runner = runner
        self.path = config.path
        settings = config.gateway
        self.admin: Address = (
            (settings.admin_host, settings.admin_port) if settings.admin_port else (None, None)
        )
        self.public = public
        self.lock = asyncio.Lock()  # one reload at a time, in the order asked
        self.pending: set[asyncio.Task[None]] = set()  # asked for, not yet serving
        self.stopping: set[asyncio.Task[None]] = set()  # previous trees being stopped

    def request(self) -> None:
        """Reload soon (from a signal handler): the file is read when this reload's turn
        comes, so two SIGHUPs in a row both end with the file as it is then."""
        task = asyncio.get_running_loop().create_task(self.reload(), name="gateway reload")
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def reload(self) -> None:
        async with self.lock:
            started = await self._start_new()
            if started is None:
                return
            app, stock, config = started
            settings = config.gateway
            options = runner_options(settings)
            shutdown_timeout = options.pop("shutdown_timeout")
            # From here to the stop task, nothing awaits: a SIGTERM cannot cut in between.
            previous = self.runner.serve(app, stock, shutdown_timeout, **options)
            configure_logging(settings.log_level, settings.log_format, settings.tracing.enabled)
            log.info("reload done: %s serves from now on; the previous plugins stop", self.path)
            record_reload("done")
            stop = asyncio.get_running_loop().create_task(
                _retire(previous, settings.gc_thresholds),
                name="gateway reload: stop the previous plugins",
            )
            self.stopping.add(stop)
            stop.add_done_callback(self.stopping.discard)

    async def _start_new(self) -> tuple[web.Application, web.Server, GatewayConfig] | None:
        """The new tree, started, with the server aiohttp made of it; None when the reload
        is refused or abandoned (logged and recorded)."""
        from gateway.app import PluginSetupError, create_app
        from gateway.keys import PLUGIN_REPORT

        log.info("SIGHUP: reading %s", self.path)
        try:
            config = load_config(self.path)
        except ConfigError as exc:
            self._refused([issue.format(exc.file) for issue in exc.issues])
            return None
        problems = moved_listeners(config, self.admin, self.public)
        if problems:
            self._refused(problems)
            return None
        try:
            # Built once, as `gateway check` builds it (a plugin that fails is reported, not
            # raised): the tree that serves if nothing failed.
            app = await create_app(config, strict=False)
        except Exception as exc:
            self._refused([f"{self.path}: {type(exc).__name__}: {exc}"])
            return None
        problems = build_problems(config, app[PLUGIN_REPORT])
        if problems:
            self._refused(problems)
            return None
        starter = web.AppRunner(app)  # starts the tree; never listens
        try:
            await starter.setup()
        except BaseException as exc:
            await _close_started(app)
            if not isinstance(exc, Exception):
                raise  # cancelled: the gateway is stopping
            if isinstance(exc, PluginSetupError):
                reason = f"{exc} (in {self.path}, [plugins.{exc.name}])"
            else:
                reason = f"the new configuration failed to start: {type(exc).__name__}: {exc}"
            log.error("reload abandoned: %s; the running configuration keeps serving", reason)
            record_reload("abandoned", reason)
            return None
        assert starter.server is not None
        return app, starter.server, config

    def _refused(self, problems: list[str]) -> None:
        for line in problems:
            log.error("%s", line)
        log.error("reload refused: the running configuration keeps serving")
        record_reload("refused", problems[0])

    async def close(self) -> None:
        """Before the drain: reloads not yet serving are cancelled (their new trees closed);
        one serving already is the tree that drains."""
        for task in list(self.pending):
            task.cancel()
        await asyncio.gather(*self.pending, return_exceptions=True)

    async def finish(self) -> None:
        """After the drain: the previous trees still stopping are waited for."""
        await asyncio.gather(*self.stopping, return_exceptions=True)


async def stop_tree(app: web.Application) -> None:
    """Stop a tree a reload replaced: its ``on_shutdown`` (its WebSockets closed with 1001,
    then its requests in flight waited for, ``shutdown_timeout`` at most), then its
    ``cleanup_ctx``. Its connections are not closed: the new tree answers them."""
    from gateway.keys import STATE

    app[STATE].retired = True
    try:
        await app.shutdown()
    except Exception:
        log.exception("a plugin of the previous configuration failed in its on_shutdown")
    try:
        await app.cleanup()
    except Exception:
        log.exception("a plugin of the previous configuration failed to close its resources")
    log.info("the previous configuration's plugins have stopped")


async def _retire(previous: web.Application, thresholds: tuple[int, int, int]) -> None:
    """Stop the tree a reload replaced, then collect what it left (frozen with the tree that
    served: gateway/gc_tuning.py) and freeze what serves now, with the new thresholds."""
    await stop_tree(previous)
    refreeze(thresholds)


async def _close_started(app: web.Application) -> None:
    """Close what a tree that failed to start had opened: the cleanup contexts entered, the
    mounted plugins' too (frozen, its cleanup signal reaches them; unfrozen, only the root's
    own contexts would be closed)."""
    try:
        app.freeze()
        await app.cleanup()
    except Exception:
        log.exception("closing the plugins of a configuration that failed to start")
