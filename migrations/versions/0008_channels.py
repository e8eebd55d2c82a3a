"""channels: anonymous chat-bot reports, citizen feedback on answers

Revision ID: 0008
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "chatbot_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=False, unique=True
        ),
        sa.Column("chat_hash", sa.String(64), nullable=False),
        sa.Column("chat_sealed", sa.Text(), nullable=True),
        sa.Column("last_update_id", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("purged_at", ts, nullable=True),
    )
    op.create_index("ix_chatbot_reports_chat", "chatbot_reports", ["chat_hash", "id"])
    op.create_table(
        "ticket_feedback",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column(
            "answer_id", sa.BigInteger(), sa.ForeignKey("ticket_answers.id"), nullable=True
        ),
        sa.Column("answer_key", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_value", sa.String(200), nullable=False),
        sa.Column("sentiment", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_index(
        "uq_ticket_feedback_answer", "ticket_feedback", ["ticket_id", "answer_key"], unique=True
    )
    op.create_index("ix_ticket_feedback_created", "ticket_feedback", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("ticket_feedback")
    op.drop_table("chatbot_reports")
