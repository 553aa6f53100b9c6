"""The notes sub-application: routes, the database's lifetime, the health checks."""

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from gateway import TRACER_PROVIDER, CheckResult
from gateway_plugins.notes import migrate
from gateway_plugins.notes.database import check_sqlite_folder, is_sqlite, resolve_url
from gateway_plugins.notes.keys import DATABASE, SETTINGS
from gateway_plugins.notes.settings import NotesSettings
from gateway_plugins.notes.startup import NotesDatabase
from gateway_plugins.notes.views import add_routes, database_unavailable


def create_notes_app(settings: NotesSettings, config_dir: str | Path) -> web.Application:
    url = resolve_url(settings.database_url, config_dir)
    # Read the shipped migrations once, now: notes:startup names the head revision on every
    # probe, and reading the folder then was blocking I/O per probe (2.4 ms) that failed with
    # a bare AssertionError once file descriptors ran out.
    migrate.head_revision()
    if is_sqlite(url):
        # Checked offline, while the app is built, so `gateway check` reports it too.
        check_sqlite_folder(url)

    async def database(app: web.Application) -> AsyncIterator[None]:
        # Migrations (or the check that they ran) start here; see startup.py for what may
        # continue in the background.
        app[DATABASE].tracer_provider = app.get(TRACER_PROVIDER)
        await app[DATABASE].start()
        try:
            yield
        finally:
            await app[DATABASE].close()

    app = web.Application(middlewares=[database_unavailable])
    app[SETTINGS] = settings
    app[DATABASE] = NotesDatabase(url, settings)
    app.cleanup_ctx.append(database)
    add_routes(app)
    return app


async def check_startup(app: web.Application) -> CheckResult:
    """``notes:startup``: fails until this instance has migrated (or checked) and opened it."""
    database = app[DATABASE]
    if database.store is None:
        return CheckResult("fail", f"not open yet: {database.waiting_for}")
    return CheckResult("pass", f"open, schema at revision {migrate.head_revision()}")


async def check_database(app: web.Application) -> CheckResult:
    """``notes:database``: one round trip, its latency, and how much of the pool is in use."""
    store = app[DATABASE].store
    if store is None:
        return CheckResult("fail", f"not open yet: {app[DATABASE].waiting_for}")
    latency_ms = round(await store.ping() * 1000, 3)
    use = store.pool_use()
    return CheckResult(
        "pass",
        observed_value=latency_ms,
        observed_unit="ms",
        details={
            "pool": {"checkedOut": use.checked_out, "size": use.size, "capacity": use.capacity}
        },
    )
