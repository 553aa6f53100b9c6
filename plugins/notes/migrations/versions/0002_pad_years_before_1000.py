"""Pad years before 1000 to four digits in SQLite's timestamp text.

Before this revision a note created with a year before 1000 was stored on SQLite as
``999-06-01T00:00:00.000000Z``: it sorted after every four-digit year and its next-page cursor
was refused, so one such note broke paging by ``created_at`` for everyone. This rewrites such
rows in the fixed-width form (``0999-...``) the plugin now always writes. PostgreSQL keeps
``timestamptz`` values, not text, so nothing is stored wrong there and nothing changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A year of one, two or three digits, then the rest of the canonical form.
_SHORT_YEARS = {
    "000": "[0-9]-[0-9][0-9]-*",
    "00": "[0-9][0-9]-[0-9][0-9]-*",
    "0": "[0-9][0-9][0-9]-[0-9][0-9]-*",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for column in ("created_at", "updated_at"):
        for padding, pattern in _SHORT_YEARS.items():
            op.execute(
                f"UPDATE notes SET {column} = '{padding}' || {column} "
                f"WHERE {column} GLOB '{pattern}'"
            )


def downgrade() -> None:
    # The padded form is what 0001's schema always meant to hold; nothing to undo.
    pass
