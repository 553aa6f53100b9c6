"""Remember POST Idempotency-Keys: the key, what was asked, and the answer given.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notes_idempotency_keys",
        sa.Column("key", sa.String(255), primary_key=True),
        # SHA-256 of the validated request: the same key with another body is refused.
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("note_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        # The 201's body as it was sent, replayed as is.
        sa.Column("response", sa.Text(), nullable=False),
        # Seconds since the epoch (the same type on both databases); expired keys are purged.
        sa.Column("stored_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_notes_idempotency_keys_stored_at", "notes_idempotency_keys", ["stored_at"])


def downgrade() -> None:
    op.drop_index("ix_notes_idempotency_keys_stored_at", table_name="notes_idempotency_keys")
    op.drop_table("notes_idempotency_keys")
