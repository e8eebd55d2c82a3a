"""outbox messages (answers and notices back to the sources and departments)

Revision ID: 0004
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("idempotency_id", sa.String(120), nullable=False, unique=True),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column(
            "answer_id", sa.BigInteger(), sa.ForeignKey("ticket_answers.id"), nullable=True
        ),
        sa.Column("department_code", sa.String(64), nullable=True),
        sa.Column(
            "payload", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", ts, nullable=False),
        sa.Column("locked_until", ts, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.Column("sent_at", ts, nullable=True),
    )
    op.create_index(
        "ix_outbox_due",
        "outbox_messages",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text("state IN ('pending', 'sending')"),
    )
    op.create_index("ix_outbox_state_id", "outbox_messages", ["state", "id"])
    op.create_index("ix_outbox_ticket", "outbox_messages", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_table("outbox_messages")
