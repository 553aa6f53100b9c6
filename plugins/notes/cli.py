"""``gateway notes ...``: the schema's migrations from the command line.

    gateway notes migrate [REVISION]   apply migrations up to REVISION (default: head)
    gateway notes downgrade REVISION --yes-destroy-data
                                       undo migrations down to REVISION (base: drop everything)
    gateway notes current              print the database's revision and the plugin's head

Each reads the ``[plugins.notes]`` table of the config (``--config``), also when the plugin is
disabled there, so a database can be prepared before the plugin is switched on.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pydantic import ValidationError

from gateway import (
    GatewayConfig,
)
from gateway_plugins.notes import migrate
from gateway_plugins.notes.database import check_sqlite_folder, is_sqlite, resolve_url
from gateway_plugins.notes.settings import NotesSettings

EXIT_CONFIG = 2
_CONFIG_HELP = "the config file (default: $GATEWAY_CONFIG, else ./plugins.toml)"


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    notes = subparsers.add_parser("notes", help="manage the notes plugin's database")
    notes.add_argument("--config", help=_CONFIG_HELP)
    notes.set_defaults(handler=_usage(notes))
    commands = notes.add_subparsers(title="commands", metavar="COMMAND")

    up = commands.add_parser("migrate", help="apply the schema migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    up.add_argument("--config", help=_CONFIG_HELP)
    up.set_defaults(handler=run_migrate)

    down = commands.add_parser("downgrade", help="undo migrations down to a revision")
    down.add_argument("revision", help="target revision; 'base' drops the notes table")
    down.add_argument(
        "--yes-destroy-data",
        action="store_true",
        help="confirm: every downgrade drops or rewrites tables (0003 -> 0002 the idempotency "
        "keys, -> base every note)",
    )
    down.add_argument("--config", help=_CONFIG_HELP)
    down.set_defaults(handler=run_downgrade)

    current = commands.add_parser("current", help="print the database's schema revision")
    current.add_argument("--config", help=_CONFIG_HELP)
    current.set_defaults(handler=run_current)


async def run_migrate(args: argparse.Namespace, config: GatewayConfig) -> int:
    target = _target(config)
    if target is None:
        return EXIT_CONFIG
    url, settings = target
    applied = await migrate.upgrade(url, settings, args.revision)
    where = url.render_as_string(hide_password=True)
    if applied:
        print(f"{where}: applied {', '.join(applied)}; now at {applied[-1]}")
    else:
        print(f"{where}: already at {await migrate.current_revision(url, settings)}; nothing to do")
    return 0


async def run_downgrade(args: argparse.Namespace, config: GatewayConfig) -> int:
    target = _target(config)
    if target is None:
        return EXIT_CONFIG
    url, settings = target
    if not args.yes_destroy_data:
        where = url.render_as_string(hide_password=True)
        current = await migrate.current_revision(url, settings)
        print(
            f"error: downgrading {where} from {current or 'base'} to {args.revision} drops "
            "tables and the data in them; nothing was done. Back the database up, then run "
            "the same command with --yes-destroy-data",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    undone = await migrate.downgrade(url, settings, args.revision)
    now = await migrate.current_revision(url, settings)
    where = url.render_as_string(hide_password=True)
    print(f"{where}: undid {', '.join(undone) or 'nothing'}; now at {now or 'base (no schema)'}")
    return 0


async def run_current(args: argparse.Namespace, config: GatewayConfig) -> int:
    target = _target(config)
    if target is None:
        return EXIT_CONFIG
    url, settings = target
    current, head = await migrate.current_revision(url, settings), migrate.head_revision()
    state = "up to date" if current == head else "needs `gateway notes migrate`"
    where = url.render_as_string(hide_password=True)
    print(f"{where}: at {current or 'base (no schema)'}; plugin head {head} ({state})")
    return 0


def _target(config: GatewayConfig) -> tuple[Any, NotesSettings] | None:
    plugin = config.plugins.get("notes")
    settings = plugin.settings if plugin is not None else None
    # Not enabled: the host validated nothing. An empty raw table means there is no table.
    if plugin is not None and settings is None and plugin.raw:
        try:
            settings = NotesSettings.model_validate(plugin.own_settings)
        except ValidationError as exc:
            print(f"error: {config.path}: [plugins.notes]: {exc}", file=sys.stderr)
            return None
    if not isinstance(settings, NotesSettings):
        print(
            f"error: {config.path} has no [plugins.notes] table; add one (it may say "
            "enabled = false) so the command knows which database to use",
            file=sys.stderr,
        )
        return None
    url = resolve_url(settings.database_url, config.dir)
    if is_sqlite(url):
        try:
            check_sqlite_folder(url)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return None
    return url, settings


def _usage(parser: argparse.ArgumentParser) -> Any:
    def show(args: argparse.Namespace, config: GatewayConfig) -> int:
        parser.print_help()
        return EXIT_CONFIG

    return show
