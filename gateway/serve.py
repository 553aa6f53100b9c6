"""``gateway serve`` as one process: aiohttp's runner, our signals, the drain of gateway/drain.py.

aiohttp's ``web.run_app`` closes the listener the moment SIGTERM arrives and dies on SIGHUP
(exit 129, no drain); this loop does what the gateway promises instead:

- SIGTERM: readiness fails, ``accept_grace`` seconds of serving, then the drain;
- SIGINT: the same drain without the grace period (a terminal's Ctrl+C);
- SIGHUP: a live reload (gateway/reload.py): plugins.toml is validated, the new plugins are
  started, and the new tree answers every request from then on, on the same listeners and the
  same open connections, while the old tree's requests finish and its plugins stop. A file
  that does not validate, or a plugin that fails to start, leaves the old tree serving.

Once it serves, the process writes its id to the pid file (gateway/pid_file.py), which
``gateway reload`` reads, and removes it as it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket

from aiohttp import web

from gateway.config import GatewayConfig
from gateway.drain import DrainingRunner
from gateway.gc_tuning import tune
from gateway.listen import ListenError, bind, explain
from gateway.logs import runner_options
from gateway.pid_file import pid_file_of, written

log = logging.getLogger("gateway.serve")


PUBLIC_SETTING = "[gateway] host and port, or --host and --port"
ADMIN_SETTING = "[gateway] admin_host and admin_port"


def listeners(config: GatewayConfig, host: str, port: int) -> list[tuple[str, str, int]]:
    """What to listen on: the public address, and the admin one when configured."""
    found = [(PUBLIC_SETTING, host, port)]
    if config.gateway.admin_port is not None:
        found.append((ADMIN_SETTING, config.gateway.admin_host, config.gateway.admin_port))
    return found


async def serve_single(
    config: GatewayConfig, host: str, port: int, *, chosen_address: bool = False
) -> None:
    """Serve until SIGTERM or SIGINT, then drain, reloading on SIGHUP; raises ListenError
    before anything starts when an address cannot be listened on, PluginSetupError at
    start-up. ``chosen_address``: ``--host`` or ``--port`` chose the address, not the config
    (whose own may then change in a reload)."""
    from gateway.app import create_app
    from gateway.reload import Reloader

    # gateway/listen.py: bound first, so a taken port stops nothing half-started.
    sockets: list[socket.socket] = []
    wanted = listeners(config, host, port)
    try:
        for setting, at_host, at_port in wanted:
            sockets.append(bind(at_host, at_port, setting))
    except ListenError:
        for sock in sockets:
            sock.close()
        raise
    try:
        app = await create_app(config)
        runner = DrainingRunner(app, config.gateway, **runner_options(config.gateway))
        await runner.setup()
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    reloader: Reloader | None = None
    finally_steps = contextlib.ExitStack()
    try:
        for (setting, at_host, at_port), sock in zip(wanted, sockets, strict=True):
            try:
                await web.SockSite(runner, sock).start()  # listens from here
            except OSError as exc:  # taken between bind and listen: said as bind says it
                raise ListenError(explain(at_host, at_port, setting, exc)) from None
        tune(config.gateway.gc_thresholds)  # gateway/gc_tuning.py: start-up is over
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        reloader = Reloader(runner, config, None if chosen_address else (host, port))

        def on_signal(signum: int) -> None:
            if stop.is_set():
                if signum == signal.SIGHUP:
                    log.warning("SIGHUP ignored: the gateway is stopping, it does not reload")
                return  # a second signal while draining changes nothing
            if signum == signal.SIGHUP:
                reloader.request()
                return
            runner.skip_grace = signum == signal.SIGINT
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(signum, on_signal, signum)
        # Written once serving and signals are handled; removed once everything has stopped.
        finally_steps.enter_context(written(pid_file_of(config)))
        # Last: once it says so, the gateway serves, takes signals and has its pid file (for
        # `gateway reload`).
        banner = [f"http://{host}:{port}"]
        if config.gateway.admin_port is not None:
            admin = f"http://{config.gateway.admin_host}:{config.gateway.admin_port}"
            banner.append(f"admin on {admin}")
        if config.gateway.log_format == "json":  # every line JSON: the banner is a log line
            log.info("Running on %s", ", ".join(banner))
        else:
            print(f"======== Running on {', '.join(banner)} ========", flush=True)
        await stop.wait()
    finally:
        with finally_steps:  # the pid file goes last, whatever happens before
            if reloader is not None:
                await reloader.close()  # a reload still starting is cancelled: this tree drains
            await runner.cleanup()
            if reloader is not None:
                await reloader.finish()  # the previous trees still stopping
