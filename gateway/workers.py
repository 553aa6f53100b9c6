"""``gateway serve --workers N``: N worker processes on one port under gunicorn.

gunicorn's arbiter forks the workers, restarts any that die, and drains them on SIGTERM;
aiohttp's ``GunicornWebWorker`` runs the gateway inside each. Two things are the gateway's own:

- every worker reads plugins.toml when it boots, so a reload picks up the file as it is now;
- SIGHUP validates the file first (as ``gateway check`` does) and refuses an invalid one, with
  the errors logged, leaving the running workers serving. A valid one replaces the workers one
  by one: a new worker is started and must finish booting before an old one is stopped, and a
  stopped worker finishes its in-flight requests first.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import time
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from gateway.config import CONFIG_ENV, ConfigError, GatewayConfig, load_config
from gateway.logs import configure_logging, runner_options

# How long a new worker may take to boot during a reload before the reload is abandoned.
BOOT_TIMEOUT = 60.0


async def worker_runner() -> web.AppRunner:
    """Build this worker's gateway from plugins.toml as it is now (called after the fork)."""
    from gateway.app import create_app
    from gateway.protocol import GatewayRunner

    config = load_config(os.environ[CONFIG_ENV])
    configure_logging(config.gateway.log_level)
    app = await create_app(config)
    return GatewayRunner(app, **runner_options(config.gateway))


def config_problems(path: str) -> list[str]:
    """What ``gateway check`` would report about the file at ``path``; empty when it is fine."""
    from gateway.cli import build_problems, build_report

    try:
        config = load_config(path)
    except ConfigError as exc:
        return [issue.format(exc.file) for issue in exc.issues]
    return build_problems(config, asyncio.run(build_report(config)))


class RollingArbiter(Arbiter):
    """gunicorn's arbiter with a validated, one-by-one SIGHUP reload."""

    def handle_hup(self) -> None:
        path = os.environ[CONFIG_ENV]
        self.log.info("SIGHUP: reading %s", path)
        problems = config_problems(path)
        if problems:
            for line in problems:
                self.log.error(line)
            self.log.error("reload refused: the running workers keep serving the old config")
            return
        for old_pid in list(self.WORKERS):
            new_pid = self.spawn_worker()
            if not self._wait_booted(new_pid):
                self.log.error("reload abandoned: a new worker did not boot; old workers kept")
                return
            self.kill_worker(old_pid, signal.SIGTERM)
        self.log.info("reload done: every worker serves the new config")

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
                self.log.error("new worker %s exited with status %s while booting", pid, status)
                return False
            time.sleep(0.05)
        self.kill_worker(pid, signal.SIGKILL)
        return False


class GatewayServer(BaseApplication):
    """A gunicorn application serving the gateway with aiohttp's worker."""

    def __init__(self, config: GatewayConfig, host: str, port: int, workers: int) -> None:
        self.options: dict[str, Any] = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "aiohttp.GunicornWebWorker",
            # gunicorn kills a worker after this; the worker's own drain (shutdown_timeout)
            # must get to finish first.
            "graceful_timeout": math.ceil(config.gateway.shutdown_timeout) + 5,
            "timeout": 60,
            "control_socket_disable": True,
            "accesslog": None,
            "loglevel": config.gateway.log_level,
            "proc_name": "gateway",
            "child_exit": _child_exit,
        }
        os.environ[CONFIG_ENV] = str(config.path)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return worker_runner

    def run(self) -> None:
        RollingArbiter(self).run()


def _child_exit(server: Any, worker: Any) -> None:
    from gateway.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)
