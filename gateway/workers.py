"""``gateway serve --workers N``: N worker processes on one port under gunicorn.

gunicorn's arbiter forks the workers, restarts any that die, and drains them on SIGTERM;
aiohttp's ``GunicornWebWorker`` runs the gateway inside each. Two things are the gateway's own:

- every worker reads plugins.toml when it boots, so a reload picks up the file as it is now;
- SIGHUP validates the file first (as ``gateway check`` does) and refuses an invalid one, with
  the errors logged, leaving the running workers serving. A valid one replaces the workers one
  by one: a new worker is started and must finish booting before an old one is stopped, and a
  stopped worker finishes its in-flight requests first (gateway/drain.py).
- Reloads do not stack: a worker told to stop is *draining* and is neither replaced again by a
  later SIGHUP nor counted as one of the N serving workers, so a SIGHUP while the previous
  reload's workers still drain boots N new workers, never one per draining worker too.
- A replacement worker that fails to boot while others serve does not take them down (stock
  gunicorn halts the master with exit code 3): it is logged and tried again after
  :data:`RESPAWN_BACKOFF` seconds. Only when no other worker is left, serving or still booting,
  does the master exit 3 (a start whose every worker fails).
  Plugins themselves boot while their stores are down (they report ``fail`` until the store
  answers), so a store outage never causes a boot failure.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import sys
import time
from typing import Any

from aiohttp import web
from aiohttp.worker import GunicornUVLoopWebWorker, GunicornWebWorker
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.errors import HaltServer

from gateway.config import CONFIG_ENV, ConfigError, GatewayConfig, load_config
from gateway.drain import DrainingRunner
from gateway.event_loop import chosen_loop, log_loop
from gateway.gc_tuning import tune
from gateway.log_writer import writer
from gateway.logs import JsonGunicornLogger, configure_logging, runner_options
from gateway.pid_file import pid_file_of, written
from gateway.plugin_report import build_problems, build_report
from gateway.reload import Address, moved_listeners
from gateway.reload_metrics import record_reload

# How long a new worker may take to boot during a reload before the reload is abandoned.
BOOT_TIMEOUT = 60.0
# Seconds a stopping worker keeps answering (with Connection: close) before its listener
# closes, at least: enough for busy keep-alive clients to be told to reconnect, which they do to
# the other workers sharing the socket, instead of meeting a reset on a closed connection.
WORKER_GRACE = 1.0
# Seconds before a worker that failed to boot (while others serve) is replaced again.
RESPAWN_BACKOFF = 5.0
# What the master sends a booted worker it replaces (a reload, a worker too many): stop as on
# SIGTERM, but the instance stays: readiness keeps answering 200 through the drain. SIGTERM
# (the master's own stop) still fails readiness at once, also for a worker already replaced.
REPLACE_SIGNAL = signal.SIGUSR2

# This process's runner, once worker_runner built it (one per worker process).
_runners: list[DrainingRunner] = []


async def worker_runner() -> web.AppRunner:
    """Build this worker's gateway from plugins.toml as it is now (called after the fork)."""
    from gateway.app import create_app

    config = load_config(os.environ[CONFIG_ENV])
    configure_logging(
        config.gateway.log_level,
        config.gateway.log_format,
        config.gateway.tracing.enabled,
        pid=True,
    )
    log_loop(asyncio.get_running_loop(), config.gateway.loop)
    app = await create_app(config)
    thresholds = config.gateway.gc_thresholds

    async def tuned(app: web.Application) -> None:  # last: once every plugin has started
        tune(thresholds)

    app.on_startup.append(tuned)
    runner = DrainingRunner(
        app, config.gateway, least_grace=WORKER_GRACE, **runner_options(config.gateway)
    )
    _runners.append(runner)
    return runner


def _set_replaced(replaced: bool) -> None:
    from gateway.keys import STATE

    for runner in _runners:
        runner.app[STATE].replaced = replaced


def config_problems(
    path: str, admin: Address | None = None, public: Address | None = None
) -> list[str]:
    """What ``gateway check`` would report about the file at ``path``; empty when it is fine.

    ``admin``, the admin listener the master bound (host and port), must stay as it is, and
    so must ``public``, the public address when the config chose it (None when ``--host`` or
    ``--port`` did): the master's sockets are not rebound by a reload, and workers tell the
    admin listener by its port (gateway/admin_listener.py).
    """
    try:
        config = load_config(path)
    except ConfigError as exc:
        return [issue.format(exc.file) for issue in exc.issues]
    problems = build_problems(config, asyncio.run(build_report(config)))
    if admin is not None:
        problems += moved_listeners(config, admin, public)
    return problems


class RollingArbiter(Arbiter):
    """gunicorn's arbiter with a validated, one-by-one SIGHUP reload that never stacks."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        # Workers told to stop that have not exited yet: they finish their requests.
        self.draining: set[int] = set()
        # Workers that have sent a heartbeat, i.e. finished booting.
        self.booted: set[int] = set()
        self._spawned_at: dict[int, float] = {}
        self._respawn_after = 0.0
        self._stopping = False  # in stop(): workers exiting, whatever their exit code

    def spawn_worker(self) -> int:
        pid = super().spawn_worker()
        self._spawned_at[pid] = self.WORKERS[pid].tmp.last_update()
        return pid

    def kill_worker(self, pid: int, sig: int) -> None:
        if sig in (signal.SIGTERM, REPLACE_SIGNAL) and pid in self.WORKERS:
            self.draining.add(pid)
        super().kill_worker(pid, sig)

    def replace_worker(self, pid: int) -> None:
        """Stop a worker that another takes over from: it drains, its readiness still 200.

        Only a booted worker has its handler for REPLACE_SIGNAL (whose default action would
        kill it outright); one still booting gets SIGTERM. Its heartbeat is read now: the
        arbiter's loop may not have seen it yet (a SIGHUP a second after the start).
        """
        self.kill_worker(pid, REPLACE_SIGNAL if self._has_booted(pid) else signal.SIGTERM)

    def _has_booted(self, pid: int) -> bool:
        worker = self.WORKERS.get(pid)
        if worker is None:
            return False
        # A booted worker's first heartbeat changes its temp file's time (it has installed
        # its signal handlers before that).
        return pid in self.booted or worker.tmp.last_update() != self._spawned_at.get(pid)

    def manage_workers(self) -> None:
        """Keep N *serving* workers: draining ones are neither counted nor stopped twice."""
        alive = set(self.WORKERS)
        self.draining &= alive
        self.booted &= alive
        for pid in alive - self.booted:
            if self.WORKERS[pid].tmp.last_update() != self._spawned_at.get(pid):
                self.booted.add(pid)
        self._spawned_at = {pid: at for pid, at in self._spawned_at.items() if pid in alive}
        serving = sorted(
            (w for w in self.WORKERS.items() if w[0] not in self.draining), key=lambda w: w[1].age
        )
        missing = self.num_workers - len(serving)
        if missing > 0 and time.monotonic() >= self._respawn_after:
            for _ in range(missing):
                self.spawn_worker()
        while len(serving) > self.num_workers:
            pid, _ = serving.pop(0)
            self.replace_worker(pid)

    def reap_workers(self) -> None:
        failed_to_boot = False
        while True:
            before = dict(self.WORKERS)
            try:
                super().reap_workers()
            except HaltServer as halt:
                if halt.exit_status != self.WORKER_BOOT_ERROR:
                    raise
                # gunicorn raises before closing the failed worker's heartbeat file and
                # calling child_exit (its metrics files would stay in the folder); both are
                # safe to repeat for the workers it did finish with.
                for pid in before.keys() - self.WORKERS.keys():
                    before[pid].tmp.close()
                    self.cfg.child_exit(self, before[pid])
                # gunicorn stops reaping at the failed worker, and the others that exited
                # with it sent no SIGCHLD of their own (signals of one kind coalesce): left
                # in WORKERS, a dead worker would count below as "still booting" until the
                # next exit, and two failing workers would leapfrog for ever. So reap again.
                failed_to_boot = True
            else:
                break
        if not failed_to_boot or self._stopping:
            return  # stopping anyway: a worker that failed meanwhile changes nothing
        # A worker still booting counts: it may serve in a moment (on a loaded machine
        # the other worker can still be booting when a replacement fails), and if it
        # fails too, its own exit finds nothing left and halts.
        others = set(self.WORKERS) - self.draining
        if not others:
            raise HaltServer("Worker failed to boot.", self.WORKER_BOOT_ERROR)  # exit 3
        self.log.error(
            "a worker failed to boot (exit code 3); %d other worker(s) serve "
            "(%d still booting); trying again in %gs",
            len(others & self.booted),
            len(others - self.booted),
            RESPAWN_BACKOFF,
        )
        self._respawn_after = time.monotonic() + RESPAWN_BACKOFF

    def stop(self, graceful: bool = True) -> None:
        self._stopping = True
        super().stop(graceful)

    def handle_hup(self) -> None:
        path = os.environ[CONFIG_ENV]
        self.log.info("SIGHUP: reading %s", path)
        problems = config_problems(path, self.app.admin, self.app.public)
        if problems:
            for line in problems:
                self.log.error(line)
            self.log.error("reload refused: the running workers keep serving the old config")
            record_reload("refused", problems[0])
            return
        # Only the workers that serve now: draining ones are already on their way out.
        for old_pid in [pid for pid in self.WORKERS if pid not in self.draining]:
            new_pid = self.spawn_worker()
            if not self._wait_booted(new_pid):
                self.log.error("reload abandoned: a new worker did not boot; old workers kept")
                record_reload("abandoned", "a new worker did not boot")
                return
            self.replace_worker(old_pid)
        self.log.info("reload done: every worker serves the new config")
        record_reload("done")

    def _wait_booted(self, pid: int) -> bool:
        worker = self.WORKERS[pid]
        spawned = worker.tmp.last_update()
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            # A booted worker's first heartbeat changes its temp file's time.
            if worker.tmp.last_update() != spawned:
                return True
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                # Reaped here so the arbiter does not take a boot failure for a fatal one.
                self.WORKERS.pop(pid, None)
                worker.tmp.close()
                self.cfg.child_exit(self, worker)
                self.log.error(
                    "new worker %s exited with code %s while booting",
                    pid,
                    os.waitstatus_to_exitcode(status),
                )
                return False
            time.sleep(0.05)
        self.kill_worker(pid, signal.SIGKILL)
        return False


class GatewayWorker(GunicornWebWorker):
    """aiohttp's gunicorn worker, told about SIGTERM at once rather than at its next heartbeat.

    Stock, SIGTERM only clears ``alive`` and the worker notices within its one-second notify
    wait, so readiness kept answering 200 for up to a second. aiohttp's worker wakes that wait
    on SIGINT and SIGQUIT (its public ``handle_quit``), so SIGTERM is handled the same way here:
    the drain (readiness fails, accept-grace) starts immediately. ``handle_quit`` also calls
    gunicorn's ``worker_int`` hook, which the gateway leaves at gunicorn's default (nothing).
    """

    def init_signals(self) -> None:
        super().init_signals()
        self.loop.add_signal_handler(REPLACE_SIGNAL, self.handle_replaced, REPLACE_SIGNAL, None)

    def handle_exit(self, sig: int, frame: Any) -> None:
        # The master stops: the instance goes away, so readiness fails, even in a worker that
        # a reload had already replaced and that is still draining.
        _set_replaced(False)
        self.handle_quit(sig, frame)

    def handle_replaced(self, sig: int, frame: Any) -> None:
        """A reload replaced this worker: drain as on SIGTERM, readiness still answering."""
        _set_replaced(True)
        self.handle_quit(sig, frame)

    def run(self) -> None:
        # Served on the sockets themselves, not on gunicorn's wrappers of them: a stopping site
        # closes what it was given, and under uvloop the wrapper's close then found the file
        # descriptor gone and logged "Error while closing socket [Errno 9]" at every exit.
        from gateway.app import PluginSetupError  # as worker_runner imports it: in workers

        wrapped: list[Any] = self.sockets  # type: ignore[has-type]  # gunicorn has no types
        self.sockets = [getattr(sock, "sock", sock) for sock in wrapped]
        try:
            super().run()
        except PluginSetupError as exc:
            if self.booted:
                raise
            # A plugin that cannot start is the operator's to fix, said in one line as
            # `gateway serve` says it in one process; gunicorn would log the traceback, and
            # the arbiter still sees the boot error it acts on (exit code 3).
            self.log.error("worker %s: %s", self.pid, exc)
            sys.exit(Arbiter.WORKER_BOOT_ERROR)


class GatewayUVLoopWorker(GatewayWorker, GunicornUVLoopWebWorker):
    """:class:`GatewayWorker` on uvloop (``[gateway] loop`` chooses it)."""


def _worker_class(loop_setting: str) -> str:
    if chosen_loop(loop_setting) == "uvloop":
        return "gateway.workers.GatewayUVLoopWorker"
    return "gateway.workers.GatewayWorker"


class GunicornApplication(BaseApplication):
    """A gunicorn application serving the gateway with aiohttp's worker."""

    def __init__(
        self,
        config: GatewayConfig,
        listeners: list[tuple[str, str, int]],
        workers: int,
        public: Address | None = None,
    ) -> None:
        self.options: dict[str, Any] = {
            # Every worker serves every address: the public one and the admin listener
            # (gateway/admin_listener.py tells them apart by the connection's local port).
            "bind": [_address(host, port) for _, host, port in listeners],
            "workers": workers,
            "worker_class": _worker_class(config.gateway.loop),
            # gunicorn kills a worker after this; the worker's own drain (accept_grace, then
            # shutdown_timeout, then a second for the 503s) must get to finish first.
            "graceful_timeout": math.ceil(
                config.gateway.accept_grace + config.gateway.shutdown_timeout
            )
            + 5,
            # A worker that sends no heartbeat for this long is killed; it must outlast a
            # drain, during which no heartbeat is sent.
            "timeout": max(
                math.ceil(config.gateway.worker_timeout),
                math.ceil(config.gateway.accept_grace + config.gateway.shutdown_timeout) + 10,
            ),
            # Informational: the gateway's runner applies keepalive_timeout itself.
            "keepalive": math.ceil(config.gateway.keepalive_timeout),
            "control_socket_disable": True,
            "accesslog": None,
            "loglevel": config.gateway.log_level,
            "proc_name": "gateway",
            "child_exit": _child_exit,
            "worker_exit": _worker_exit,
        }
        if config.gateway.log_format == "json":
            self.options["logger_class"] = JsonGunicornLogger
        os.environ[CONFIG_ENV] = str(config.path)
        settings = config.gateway
        # What a reload may not change (RollingArbiter.handle_hup).
        self.admin: Address = (
            (settings.admin_host, settings.admin_port) if settings.admin_port else (None, None)
        )
        self.public = public  # the public address, when the config chose it
        self.pid_file = pid_file_of(config)  # gateway reload signals the master
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return worker_runner

    def run(self) -> None:
        # gunicorn's own pidfile refuses to start over a live process's file; the gateway's
        # takes it over with a warning, as the single process does (gateway/pid_file.py).
        with written(self.pid_file):
            RollingArbiter(self).run()


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _worker_exit(server: Any, worker: Any) -> None:
    # In the worker, on every way out (SIGTERM, SIGINT, a reload's stop, max requests): the
    # access lines of its last requests.
    writer.flush()


def _child_exit(server: Any, worker: Any) -> None:
    from gateway.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)
