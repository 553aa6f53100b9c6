"""The notes sub-application: routes, the database's lifetime, the health check."""

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from gateway import CheckResult
from gateway_plugins.notes.database import resolve_url
from gateway_plugins.notes.keys import SETTINGS, STORE
from gateway_plugins.notes.settings import NotesSettings
from gateway_plugins.notes.store import NoteStore
from gateway_plugins.notes.views import add_routes, database_unavailable


def create_notes_app(settings: NotesSettings, config_dir: str | Path) -> web.Application:
    url = resolve_url(settings.database_url, config_dir)

    async def database(app: web.Application) -> AsyncIterator[None]:
        # Migrations (or the check that they ran) happen here, at start-up, before any request.
        store = await NoteStore.open(url, settings)
        app[STORE] = store
        try:
            yield
        finally:
            await store.close()

    app = web.Application(middlewares=[database_unavailable])
    app[SETTINGS] = settings
    app.cleanup_ctx.append(database)
    add_routes(app)
    return app


async def check_database(app: web.Application) -> CheckResult:
    """``notes:database``: one round trip, its latency, and how much of the pool is in use."""
    store = app.get(STORE)
    if store is None:
        return CheckResult("fail", "the database is not open (the gateway is starting)")
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
