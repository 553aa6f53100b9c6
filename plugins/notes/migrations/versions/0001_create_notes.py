"""Create the notes table and the indexes keyset pagination reads.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from schema.py: a migration must keep meaning what it meant
# when it was written, whatever the models become later.
_TIMESTAMP = sa.DateTime(timezone=True).with_variant(sa.String(27), "sqlite")

_INDEXES = {
    "ix_notes_priority_id": ["priority", "id"],
    "ix_notes_created_at_id": ["created_at", "id"],
    "ix_notes_priority_created_at_id": ["priority", "created_at", "id"],
    "ix_notes_created_by_id": ["created_by", "id"],
    "ix_notes_created_by_priority_id": ["created_by", "priority", "id"],
    "ix_notes_created_by_created_at_id": ["created_by", "created_at", "id"],
    "ix_notes_created_by_priority_created_at_id": ["created_by", "priority", "created_at", "id"],
}


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sqlite_autoincrement=True,
    )
    for name, columns in _INDEXES.items():
        op.create_index(name, "notes", columns)


def downgrade() -> None:
    for name in reversed(list(_INDEXES)):
        op.drop_index(name, table_name="notes")
    op.drop_table("notes")
