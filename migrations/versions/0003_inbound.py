"""inbound delivery archive and quarantine

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("webhook_id", sa.String(200), nullable=True),
        sa.Column("source_item_id", sa.String(128), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column(
            "headers", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")
        ),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column(
            "errors", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replayed_by", sa.String(200), nullable=True),
        sa.Column("replay_outcome", sa.String(16), nullable=True),
        sa.Column("corrected_body", sa.LargeBinary(), nullable=True),
    )
    op.create_index(
        "uq_inbound_webhook_id",
        "inbound_deliveries",
        ["source", "webhook_id"],
        unique=True,
        postgresql_where=sa.text("webhook_id IS NOT NULL AND outcome <> 'duplicate'"),
    )
    op.create_index(
        "ix_inbound_quarantine",
        "inbound_deliveries",
        ["id"],
        postgresql_where=sa.text("outcome = 'invalid' AND replayed_at IS NULL"),
    )
    op.create_index("ix_inbound_received", "inbound_deliveries", ["received_at"])


def downgrade() -> None:
    op.drop_table("inbound_deliveries")
