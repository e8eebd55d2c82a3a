"""The intake inbox: webhooks, import rows and polled items wait in inbound_deliveries as
``received`` until the intake pipeline makes their tickets in batches (issue 16)

Revision ID: 0021_intake_inbox
Revises: 0020_sstu
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_intake_inbox"
down_revision: str | Sequence[str] | None = "0020_sstu"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "inbound_deliveries",
        sa.Column("kind", sa.String(8), nullable=False, server_default="webhook"),
    )
    op.add_column("inbound_deliveries", sa.Column("processed_at", TS, nullable=True))
    op.add_column(
        "inbound_deliveries",
        sa.Column("attempts", sa.SmallInteger(), nullable=False, server_default="0"),
    )
    op.add_column("inbound_deliveries", sa.Column("import_id", sa.String(36), nullable=True))
    op.add_column("inbound_deliveries", sa.Column("row_number", sa.Integer(), nullable=True))
    # The pipeline's queue: what is waiting, oldest first (a small, hot partial index).
    op.create_index(
        "ix_inbound_pending",
        "inbound_deliveries",
        ["id"],
        postgresql_where=sa.text("outcome = 'received'"),
    )
    op.create_index(
        "ix_inbound_import",
        "inbound_deliveries",
        ["import_id", "row_number"],
        postgresql_where=sa.text("import_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_import", table_name="inbound_deliveries")
    op.drop_index("ix_inbound_pending", table_name="inbound_deliveries")
    for name in ("row_number", "import_id", "attempts", "processed_at", "kind"):
        op.drop_column("inbound_deliveries", name)
