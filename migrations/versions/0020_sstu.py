"""ССТУ.РФ reporting: the thematic classifier, category defaults, the city's ССТУ profile,
and each 59-ФЗ appeal's questions with their outcomes (issue 21)

Revision ID: 0020_sstu
Revises: 0019_key_cache
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_sstu"
down_revision: str | Sequence[str] | None = "0019_key_cache"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sstu_classifier",
        sa.Column("code", sa.String(19), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("assumption", sa.Text(), nullable=True),
        sa.Column("edition", sa.String(200), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "sstu_category_questions",
        sa.Column(
            "category_code", sa.String(64), sa.ForeignKey("categories.code"), primary_key=True
        ),
        sa.Column("question_code", sa.String(19), nullable=False),
    )
    op.create_table(
        "sstu_profile",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("department_id", sa.String(64), nullable=True),
        sa.Column(
            "department_ids", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'")
        ),
        sa.Column("addressees", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'")),
        sa.Column(
            "applicant_fields", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'")
        ),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "sstu_appeals",
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("is_direct", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "sstu_questions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(19), nullable=False),
        sa.Column("status", sa.String(24), nullable=True),
        sa.Column("actions_taken", sa.Boolean(), nullable=True),
        sa.Column("ground", sa.String(24), nullable=True),
        sa.Column("transfer_to", sa.String(500), nullable=True),
        sa.Column("transfer_department_id", sa.String(64), nullable=True),
        sa.Column("transfer_on", sa.Date(), nullable=True),
        sa.Column("transfer_number", sa.String(64), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("ticket_id", "position", name="uq_sstu_question_position"),
    )
    op.create_index("ix_sstu_questions_decided", "sstu_questions", ["decided_at"])
    # A month's report reads the 59-ФЗ appeals received (created_at, the source's receipt)
    # before its end (fz59 is a small share).
    op.create_index(
        "ix_tickets_fz59_created",
        "tickets",
        ["created_at", "id"],
        postgresql_where=sa.text("kind = 'fz59_appeal'"),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_fz59_created", table_name="tickets")
    op.drop_index("ix_sstu_questions_decided", table_name="sstu_questions")
    op.drop_table("sstu_questions")
    op.drop_table("sstu_appeals")
    op.drop_table("sstu_profile")
    op.drop_table("sstu_category_questions")
    op.drop_table("sstu_classifier")
