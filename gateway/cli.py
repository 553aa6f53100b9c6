"""The ``gateway`` command: serve, check, plugins, and the sub-commands plugins contribute."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import inspect
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from gateway.config import CONFIG_ENV, ConfigError, GatewayConfig, load_config
from gateway.event_loop import log_loop, new_event_loop
from gateway.log_writer import writer
from gateway.logs import configure_logging
from gateway.plugin_report import build_listing, build_problems, build_report
from gateway.plugins import DiscoveredPlugins, await_me_maybe, call_plugin_hook, discover
from gateway.redact import redact_text
from gateway.version import __version__

EXIT_CONFIG = 2
EXIT_FAILED = 1
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(list(sys.argv[1:] if argv is None else argv), load=load_config)
    except BrokenPipeError:
        # The reader went away (`gateway plugins | head`): not the command's failure, and no
        # traceback. Python would report the pipe again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def run(argv: list[str], *, load: Callable[[str | None], GatewayConfig]) -> int:
    """``gateway ARGV`` with the config read by ``load(--config or None)``.

    ``gateway.testing`` runs commands through this with a config built in the test.
    """
    # The config decides which plugins (and so which sub-commands) exist: read it first.
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    pre.add_argument("--workers", type=int, default=1)
    known, _ = pre.parse_known_args(argv)
    if known.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        # Before anything imports prometheus-client (plugins do, when discovered): it picks
        # its multi-process mode at import time.
        folder = tempfile.mkdtemp(prefix="gateway-metrics-")
        atexit.register(_remove_in_owner, folder, os.getpid())
        os.environ[MULTIPROC_ENV] = folder
    elif known.workers > 1:
        # The operator's folder: prometheus-client says to wipe it before the server starts,
        # or the files of a previous run's workers are counted (and scraped) forever.
        for stale in Path(os.environ[MULTIPROC_ENV]).glob("*.db"):
            stale.unlink(missing_ok=True)
    try:
        loaded: GatewayConfig | ConfigError = load(known.config)
    except ConfigError as exc:
        loaded = exc
    if not isinstance(loaded, ConfigError):
        discovered = loaded.discovered
    else:  # the plugins found before validation failed still contribute their commands
        discovered = loaded.discovered if loaded.discovered is not None else discover()

    parser, commands = _parser()
    for line in add_plugin_commands(commands, discovered):
        print(line, file=sys.stderr)
    if isinstance(loaded, ConfigError):
        unknown = _unknown_command(argv, commands.choices)
        if unknown is not None:
            _print_config_error(loaded)
            print(
                f"error: no command {unknown!r}. A plugin's commands exist only when the config "
                "that enables or lists it loads; the config above could not be loaded "
                "(fix it, or pass --config PATH).",
                file=sys.stderr,
            )
            return EXIT_CONFIG
    args = parser.parse_args(argv)
    if args.handler is None:
        parser.print_help()
        return EXIT_CONFIG
    if isinstance(loaded, ConfigError) and getattr(args, "needs_config", True):
        _print_config_error(loaded)
        if args.handler is _plugins:  # listing is most needed when the config is broken
            _print_warnings(discovered)
            _print_plugins(args, _discovery_listing(discovered))
        return EXIT_CONFIG
    # None: a command that declared it works without a config (see hookspecs).
    config = None if isinstance(loaded, ConfigError) else loaded
    result = args.handler(args, config)
    if asyncio.iscoroutine(result):
        result = asyncio.run(await_me_maybe(result))
    return int(result or 0)


class CommandParser(argparse.ArgumentParser):
    """The parser of every ``gateway`` command and, as argparse makes nested parsers of their
    parent's class, of each of their own sub-commands.

    It accepts the host's ``--config`` wherever the operator writes it (``gateway hello Ada
    --config plugins.toml``) unless the command defines its own. The host reads ``--config``
    before parsing, as it decides which commands exist; here the option only has to be
    accepted. SUPPRESS keeps a nested parser's default from overwriting its parent's value.
    """

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        # Added at parse time, not at creation: a plugin adds its own options after
        # add_parser returns, and its own --config must win.
        with contextlib.suppress(argparse.ArgumentError):  # it has one: its own, or ours
            self.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
        return super().parse_known_args(args, namespace)


REGISTER_HOOK = "gateway_register_commands"


def add_plugin_commands(
    commands: argparse._SubParsersAction[Any], discovered: DiscoveredPlugins
) -> list[str]:
    """Let every loaded plugin add its commands; return one warning line per plugin skipped.

    A plugin whose ``gateway_register_commands`` raises, or adds a command (or alias) that the
    gateway or an earlier plugin already has, is skipped whole: every other command works,
    whether that plugin is enabled or not. Each plugin first registers on a parser of its own,
    so that nothing of a skipped plugin reaches the real one; then, if that went well, on the
    real one (the hook runs twice per CLI call: it must only register).
    """
    owners = dict.fromkeys(commands.choices, "the gateway")
    skipped = []
    for found in discovered.plugins.values():
        if not found.loaded or REGISTER_HOOK not in found.hooks:
            continue
        where = f"plugin {found.name!r} ({found.source})"
        trial = argparse.ArgumentParser(prog="gateway").add_subparsers(parser_class=CommandParser)
        problem = _register_commands(discovered, found.plugin, trial)
        taken = [name for name in trial.choices if name in owners]
        if problem is None and taken:
            problem = (
                f"it adds the command {taken[0]!r}, which {owners[taken[0]]} already has "
                f"(rename the plugin's command)"
            )
        if problem is None:
            problem = _register_commands(discovered, found.plugin, commands)
        if problem is not None:
            skipped.append(redact_text(f"warning: {where}: its commands are skipped: {problem}"))
            continue
        owners.update(dict.fromkeys(trial.choices, f"plugin {found.name!r}"))
    return skipped


def _register_commands(
    discovered: DiscoveredPlugins, plugin: Any, commands: argparse._SubParsersAction[Any]
) -> str | None:
    """Call one plugin's ``gateway_register_commands``; what went wrong, or None."""
    try:
        results = call_plugin_hook(discovered.manager, plugin, REGISTER_HOOK, subparsers=commands)
    except Exception as exc:  # whatever a plugin raises is its own failure, reported by name
        error = f"{type(exc).__name__}: {exc}"
        return f"{REGISTER_HOOK} raised {error} (fix the plugin, or uninstall it)"
    for result in results:
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never awaited: argparse registers synchronously
            return f"{REGISTER_HOOK} is async def, so it registered nothing (make it a plain def)"
    return None


def _unknown_command(argv: list[str], known: Mapping[str, Any]) -> str | None:
    """The first positional argument when it is no known command (options skipped)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--config", "--workers"):
            skip = True
        elif not arg.startswith("-"):
            return None if arg in known else arg
    return None


def _remove_in_owner(folder: str, owner: int) -> None:
    # Forked workers inherit atexit handlers; only the master may remove the shared folder.
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


CONFIG_HELP = f"the config file (default: ${CONFIG_ENV}, else ./plugins.toml)"


def _parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[Any]]:
    """The ``gateway`` parser with the host's own commands, and its sub-parsers (for more)."""
    parser = argparse.ArgumentParser(
        prog="gateway", description="A plugin-based HTTP gateway on aiohttp."
    )
    parser.add_argument("--version", action="version", version=f"gateway {__version__}")
    # Also before the command (`gateway --config PATH check`), as the pre-parser reads it.
    parser.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
    parser.set_defaults(handler=None)
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", parser_class=CommandParser
    )

    serve = commands.add_parser("serve", help="serve the gateway")
    serve.add_argument("--host", help="interface to listen on (default: [gateway] host)")
    serve.add_argument("--port", type=int, help="port to listen on (default: [gateway] port)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes under gunicorn (default 1: a single process, no gunicorn)",
    )
    serve.set_defaults(handler=_serve)

    reload = commands.add_parser(
        "reload",
        help="tell the running gateway to reload its config (SIGHUP), found by its pid file",
    )
    reload.add_argument(
        "--pid-file",
        help="the pid file the gateway wrote (default: [gateway] pid_file, else the one named "
        "after the config file's path)",
    )
    reload.set_defaults(handler=_reload)

    check = commands.add_parser("check", help="validate the config and every enabled plugin")
    check.add_argument(
        "--connect",
        action="store_true",
        help="also start every plugin and run its health checks: are its stores reachable? "
        "Changes no store: a database behind the plugin's schema is reported, not migrated",
    )
    check.add_argument(
        "--migrate",
        action="store_true",
        help="with --connect: let plugins migrate their databases as `gateway serve` would",
    )
    check.set_defaults(handler=_check)

    plugins = commands.add_parser("plugins", help="list every discovered plugin")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    plugins.set_defaults(handler=_plugins)

    openapi = commands.add_parser("openapi", help="print the OpenAPI 3.1 document")
    openapi.set_defaults(handler=_openapi)

    from gateway import scaffold

    scaffold.register(commands)
    return parser, commands


def host_commands() -> list[str]:
    """The names (and aliases) of the gateway's own commands, which no plugin may take."""
    return list(_parser()[1].choices)


def _serve(args: argparse.Namespace, config: GatewayConfig) -> int:
    from gateway.app import PluginSetupError

    settings = config.gateway
    host, port = args.host or settings.host, args.port or settings.port
    if args.workers < 1:
        print("error: --workers must be 1 or more", file=sys.stderr)
        return EXIT_CONFIG
    if not 1 <= port <= 65535:
        print(f"error: --port {port}: a port is 1 to 65535", file=sys.stderr)
        return EXIT_CONFIG
    if port == settings.admin_port:
        print(
            f"error: --port {port} is [gateway] admin_port in {config.path}: choose another "
            "port for one of them",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    configure_logging(
        settings.log_level, settings.log_format, settings.tracing.enabled, pid=args.workers > 1
    )
    from gateway.listen import ListenError
    from gateway.serve import listeners

    if args.workers > 1:
        from gateway.listen import check_free
        from gateway.workers import GunicornApplication

        problems = build_problems(config, asyncio.run(build_report(config)))
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            return EXIT_CONFIG
        try:
            for setting, at_host, at_port in listeners(config, host, port):
                check_free(at_host, at_port, setting)
        except ListenError as exc:
            print(f"error: {config.path}: {exc}", file=sys.stderr)
            return EXIT_FAILED
        from gateway.session_secret import session_secret

        session_secret()  # made here, if it must be, so that every worker shares it
        public = None if args.host or args.port else (host, port)
        GunicornApplication(config, listeners(config, host, port), args.workers, public).run()
        return 0
    from gateway.serve import serve_single

    try:
        with asyncio.Runner(loop_factory=lambda: new_event_loop(settings.loop)) as runner:
            log_loop(runner.get_loop(), settings.loop)
            chosen = bool(args.host or args.port)
            runner.run(serve_single(config, host, port, chosen_address=chosen))
    except ListenError as exc:
        print(f"error: {config.path}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except PluginSetupError as exc:
        # The plugin's own message says what failed; the file and table say where to fix it.
        print(f"error: {exc} (in {config.path}, [plugins.{exc.name}])", file=sys.stderr)
        return EXIT_FAILED
    finally:
        writer.flush()  # the access lines of the last requests, before anything else is said
    return 0


def _reload(args: argparse.Namespace, config: GatewayConfig) -> int:
    """Send SIGHUP to the gateway serving ``config`` (its pid file says which process): the
    single process reloads in place, the master of ``--workers`` replaces its workers. The
    config must load first; how the reload went is in the gateway's log and status."""
    import signal

    from gateway.pid_file import NoGateway, pid_file_of, running_gateway

    path = Path(args.pid_file) if args.pid_file else pid_file_of(config)
    try:
        pid = running_gateway(path)
    except NoGateway as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    os.kill(pid, signal.SIGHUP)
    print(
        f"asked the gateway (pid {pid}, from {path}) to reload {config.path}; its log and "
        "/_gateway/status say how the reload went"
    )
    return 0


def _check(args: argparse.Namespace, config: GatewayConfig) -> int:
    _print_warnings(config.discovered)
    report = asyncio.run(build_report(config))
    problems = build_problems(config, report)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return EXIT_CONFIG
    mounted = ", ".join(
        f"{row['name']} at {row['prefix']}" if row["prefix"] else f"{row['name']} (middleware)"
        for row in report
        if row["enabled"]
    )
    if args.migrate and not args.connect:
        print("error: --migrate goes with --connect", file=sys.stderr)
        return EXIT_CONFIG
    if args.connect:
        config.read_only = not args.migrate
        failures = asyncio.run(connection_problems(config))
        for line in failures:
            print(line, file=sys.stderr)
        if failures:
            return EXIT_FAILED
        print(f"{config.path}: OK, every plugin connected ({mounted or 'no plugins enabled'})")
        return 0
    print(f"{config.path}: OK ({mounted or 'no plugins enabled'})")
    return 0


async def connection_problems(config: GatewayConfig) -> list[str]:
    """Start every plugin (without listening), run every health check once, then stop.

    Each check that does not pass, required or not, is a line: ``gateway check --connect`` is
    asked whether everything is reachable, which is stricter than readiness.
    """
    from aiohttp import web

    from gateway.app import PluginSetupError, create_app
    from gateway.keys import HEALTH_CHECKS

    app = await create_app(config)
    runner = web.AppRunner(app)
    try:
        await runner.setup()
    except PluginSetupError as exc:
        return [f"{config.path}: plugins.{exc.name}: {type(exc.cause).__name__}: {exc.cause}"]
    try:
        lines = []
        for mounted in app[HEALTH_CHECKS]:
            where = f"{config.path}: plugins.{mounted.name.split(':', 1)[0]}: {mounted.name}"
            try:
                async with asyncio.timeout(mounted.check.timeout):
                    result = await mounted.check.check()
            except Exception as exc:
                lines.append(f"{where}: fail: {type(exc).__name__}: {exc}")
                continue
            if result is not None and result.status != "pass":
                lines.append(f"{where}: {result.status}: {result.output}")
        return lines
    finally:
        await runner.cleanup()


def _plugins(args: argparse.Namespace, config: GatewayConfig) -> int:
    _print_warnings(config.discovered)
    _print_plugins(args, asyncio.run(build_listing(config)))
    return 0


def _print_warnings(discovered: DiscoveredPlugins) -> None:
    """A line on stderr per defect that does not stop a plugin loading (see plugins.py)."""
    for found in discovered.plugins.values():
        for warning in found.warnings:
            print(f"warning: plugin {found.name!r} ({found.source}): {warning}", file=sys.stderr)


def _discovery_listing(discovered: DiscoveredPlugins) -> dict[str, Any]:
    """``gateway plugins`` when the config is broken: what discovery alone knows."""
    rows = []
    for found in discovered.plugins.values():
        rows.append(
            {
                "name": found.name,
                "label": found.name,  # no instances without a config: each plugin once
                "version": found.version,
                "source": found.source,
                "description": found.info.description if found.info else "",
                "enabled": None,
                "prefix": None,
                "hooks": found.hooks,
                "status": "failed" if found.error else "unknown (config not loaded)",
                "error": found.error,
                "settings": None,
            }
        )
    return {"plugins": rows, "middlewares": {}}


def _print_plugins(args: argparse.Namespace, listing: dict[str, Any]) -> None:
    report, chains = listing["plugins"], listing["middlewares"]
    if args.json:
        sys.stdout.write(orjson.dumps(listing, option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
        return
    header = ("NAME", "VERSION", "STATUS", "PREFIX", "SOURCE", "HOOKS")
    rows = [
        (
            str(row["label"]),  # "billing (proxy)": contract.instance_label's
            str(row["version"] or "-"),
            str(row["status"]),
            str(row["prefix"] or "-"),
            str(row["source"]),
            ", ".join(h.removeprefix("gateway_") for h in row["hooks"]),
        )
        for row in report
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]))
    for row in report:
        if row["error"]:
            print(f"{row['name']} ({row['source']}): {row['error']}")
    if any(chains.values()):
        print("\nMIDDLEWARES (in the order they run)")
        for prefix, chain in chains.items():
            order = " -> ".join(f"{m['name']} ({m['priority']})" for m in chain) or "none"
            print(f"{prefix}: {order}")


def _openapi(args: argparse.Namespace, config: GatewayConfig) -> int:
    """Print what ``GET /openapi.json`` serves, building (not starting) every plugin."""
    from gateway.app import PluginSetupError, create_app
    from gateway.openapi import build_document

    async def document() -> dict[str, Any]:
        return await build_document(await create_app(config))

    try:
        built = asyncio.run(document())
    except PluginSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.write(orjson.dumps(built, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _print_config_error(error: ConfigError) -> None:
    count = len(error.issues)
    print(f"error: {error.file}: {count} problem{'s' if count > 1 else ''}:", file=sys.stderr)
    for issue in error.issues:
        print(f"  {issue.format(error.file)}", file=sys.stderr)
