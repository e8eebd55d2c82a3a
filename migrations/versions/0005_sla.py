"""SLA: policies, at-risk/breach marks, ticket SLA columns

Revision ID: 0005
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(32), nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("priority", sa.String(16), nullable=True),
        sa.Column("fast_track", sa.Boolean(), nullable=True),
        sa.Column("first_response", postgresql.JSONB(), nullable=True),
        sa.Column("resolution", postgresql.JSONB(), nullable=True),
        sa.Column("after_interim", postgresql.JSONB(), nullable=True),
        sa.Column("use_source_due", sa.Boolean(), nullable=False),
        sa.Column("legal_dates", sa.Boolean(), nullable=False),
        sa.Column("max_extension_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sla_policies_active", "sla_policies", ["active", "position"])
    op.create_table(
        "sla_marks",
        sa.Column(
            "ticket_id",
            sa.BigInteger(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("target", sa.String(16), primary_key=True),
        sa.Column("level", sa.String(16), primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sla_marks_marked", "sla_marks", ["marked_at"])
    op.add_column("tickets", sa.Column("sla_policy", sa.String(100), nullable=True))
    op.add_column("tickets", sa.Column("sla_terms", postgresql.JSONB(), nullable=True))
    op.add_column(
        "tickets", sa.Column("first_response_risk_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "tickets", sa.Column("resolution_risk_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "tickets", sa.Column("sla_next_check_at", sa.DateTime(timezone=True), nullable=True)
    )
    # The sweeper reads only tickets whose next threshold has come: a small range of this
    # partial index, however many tickets are open.
    op.create_index(
        "ix_tickets_sla_next_check",
        "tickets",
        ["sla_next_check_at"],
        postgresql_where=sa.text("sla_next_check_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_sla_next_check", table_name="tickets")
    for column in (
        "sla_next_check_at",
        "resolution_risk_at",
        "first_response_risk_at",
        "sla_terms",
        "sla_policy",
    ):
        op.drop_column("tickets", column)
    op.drop_index("ix_sla_marks_marked", table_name="sla_marks")
    op.drop_table("sla_marks")
    op.drop_index("ix_sla_policies_active", table_name="sla_policies")
    op.drop_table("sla_policies")
