"""Client spans for the notes reads while tracing is on.

The reads go to the driver directly, for speed: on SQLite to sqlite_reader.py's thread, on
PostgreSQL to asyncpg's connection taken from SQLAlchemy's pool (store.py). SQLAlchemy's
cursor events never see them, so OpenTelemetry's SQLAlchemy instrumentation, which traces the
writes, gives them no span. Each read gets one here, a child of the request's span, with the
attributes of OpenTelemetry's database conventions that the instrumentation gives the writes:
``db.system.name``, ``db.namespace``, ``db.operation.name``, ``db.collection.name``,
``db.query.text`` (the statement with its placeholders, never the values), and on PostgreSQL
``server.address`` and ``server.port``.

Imported by store.py only when the gateway gives the plugin a tracer provider (tracing on):
otherwise nothing of OpenTelemetry is loaded and a read takes no step more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider, get_tracer
from sqlalchemy.engine import URL

from gateway import __version__

# What a read is: every notes read is a SELECT from the notes table.
OPERATION = "SELECT"
COLLECTION = "notes"

FetchRows = Callable[[Any, list[Any]], Awaitable[Sequence[Any]]]


def traced_reads(fetch_rows: FetchRows, provider: TracerProvider, url: URL) -> FetchRows:
    """``fetch_rows(compiled, args)`` with a client span around each read."""
    tracer = get_tracer("gateway_plugins.notes", __version__, tracer_provider=provider)
    sqlite = url.get_backend_name() == "sqlite"
    fixed: dict[str, Any] = {
        "db.system.name": "sqlite" if sqlite else "postgresql",
        "db.operation.name": OPERATION,
        "db.collection.name": COLLECTION,
    }
    if url.database:
        fixed["db.namespace"] = url.database
    if not sqlite:
        fixed["server.address"] = url.host or "localhost"
        fixed["server.port"] = url.port or 5432
    name = f"{OPERATION} {COLLECTION}"

    async def fetch_rows_traced(compiled: Any, args: list[Any]) -> Sequence[Any]:
        with tracer.start_as_current_span(
            name,
            kind=SpanKind.CLIENT,
            attributes={**fixed, "db.query.text": compiled.sql},
            # The error's type, not its text or traceback: a driver's message may quote values.
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                return await fetch_rows(compiled, args)
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(Status(StatusCode.ERROR))
                raise

    return fetch_rows_traced
