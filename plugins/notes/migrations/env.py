"""Alembic environment of the notes plugin.

Run only through :mod:`gateway_plugins.notes.migrate` (``gateway notes migrate`` or the
start-up), which opens the connection, takes the cross-process lock and passes the connection in
``config.attributes["connection"]``. The plugin keeps its own version table so that it can
share a database with other plugins' migrations.
"""

from alembic import context

from gateway_plugins.notes.migrate import VERSION_TABLE
from gateway_plugins.notes.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "the notes migrations run through `gateway notes migrate` (or at start-up), which "
        "provides the database connection; they cannot be run by the alembic command itself"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    on_version_apply=context.config.attributes.get("on_version_apply"),
)
with context.begin_transaction():
    context.run_migrations()
