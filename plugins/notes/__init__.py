"""Notes: a REST API over SQLAlchemy (SQLite or PostgreSQL), compatible with the tutorial's clients.

docs/notes.md describes the settings, the API and every decision behind them.
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway import GatewayConfig, HealthCheck, PluginInfo, hookimpl
from gateway_plugins.notes import cli
from gateway_plugins.notes.app import check_database, check_startup, create_notes_app
from gateway_plugins.notes.database import is_sqlite
from gateway_plugins.notes.keys import DATABASE
from gateway_plugins.notes.openapi import describe
from gateway_plugins.notes.settings import NotesSettings


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="notes",
        default_prefix="/notes",
        settings=NotesSettings,
        description="Notes REST API on SQLite or PostgreSQL, with Alembic migrations.",
        # `gateway notes migrate` and `status` address the database of [plugins.notes].
        single_instance=True,
    )


@hookimpl
def gateway_create_app(
    settings: NotesSettings, config_dir: str, config: GatewayConfig
) -> web.Application:
    if config.read_only:
        # `gateway check --connect`: check that the schema is current, never migrate it.
        settings = settings.model_copy(update={"migrate_on_start": False})
    return create_notes_app(settings, Path(config_dir))


@hookimpl
def gateway_health_checks(app: web.Application) -> list[HealthCheck]:
    # startup is this instance's own state: required. The database is required only when it
    # is this instance's own file (SQLite); a PostgreSQL that every instance shares is not,
    # since failing readiness on it would take every instance out of the load balancer.
    local = is_sqlite(app[DATABASE].url)
    return [
        HealthCheck("startup", partial(check_startup, app), component_type="component"),
        HealthCheck(
            "database",
            partial(check_database, app),
            component_type="datastore",
            required=local,
        ),
    ]


@hookimpl
def gateway_openapi(settings: NotesSettings) -> dict[str, Any]:
    return describe(settings)


@hookimpl
def gateway_register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    cli.register(subparsers)
