"""Routing: rules, duplicate suggestions, ticket re-routing/dedup columns

Revision ID: 0007
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('new','routed','in_progress','on_hold')"


def _list(name: str) -> sa.Column:
    return sa.Column(
        name, postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")
    )


def upgrade() -> None:
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "department_code", sa.String(64), sa.ForeignKey("departments.code"), nullable=False
        ),
        _list("sources"),
        _list("kinds"),
        _list("channels"),
        _list("categories"),
        _list("districts"),
        _list("priorities"),
        _list("keywords"),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_routing_rules_position", "routing_rules", ["position"])

    op.add_column("tickets", sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "tickets",
        sa.Column("reroute_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "tickets", sa.Column("bouncing", sa.Boolean(), nullable=False, server_default="false")
    )
    op.add_column("tickets", sa.Column("address_key", sa.String(200), nullable=True))
    op.add_column(
        "tickets",
        sa.Column("repeat_of_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=True),
    )
    # Duplicate candidates: open tickets of one category at one address, or in a lat band.
    op.create_index(
        "ix_tickets_dedup_address",
        "tickets",
        ["category_code", "address_key", "created_at"],
        postgresql_where=sa.text(OPEN + " AND address_key IS NOT NULL"),
    )
    op.create_index(
        "ix_tickets_dedup_point",
        "tickets",
        ["category_code", "lat", "lon"],
        postgresql_where=sa.text(OPEN + " AND lat IS NOT NULL"),
    )
    # Repeats: closed tickets of one category, recent first.
    op.create_index(
        "ix_tickets_repeat",
        "tickets",
        ["category_code", "closed_at"],
        postgresql_where=sa.text("status = 'closed'"),
    )
    op.create_index(
        "ix_tickets_bouncing", "tickets", ["department_code"], postgresql_where=sa.text("bouncing")
    )

    op.create_table(
        "duplicate_suggestions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), primary_key=True),
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("candidate_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "reasons", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.UniqueConstraint("ticket_id", "candidate_id", name="uq_duplicate_suggestion"),
    )
    op.create_index(
        "ix_duplicate_suggestions_status", "duplicate_suggestions", ["status", "id"]
    )
    op.create_index(
        "ix_duplicate_suggestions_candidate_id", "duplicate_suggestions", ["candidate_id"]
    )


def downgrade() -> None:
    op.drop_table("duplicate_suggestions")
    for index in (
        "ix_tickets_bouncing",
        "ix_tickets_repeat",
        "ix_tickets_dedup_point",
        "ix_tickets_dedup_address",
    ):
        op.drop_index(index, table_name="tickets")
    for column in ("repeat_of_id", "address_key", "bouncing", "reroute_count", "routed_at"):
        op.drop_column("tickets", column)
    op.drop_index("ix_routing_rules_position", table_name="routing_rules")
    op.drop_table("routing_rules")
