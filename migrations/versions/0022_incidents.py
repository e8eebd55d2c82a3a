"""Mass incidents (issue 20): incidents over many tickets, their links, their messages and the
fan-out ledger that sends each message to each linked ticket exactly once

Revision ID: 0022_incidents
Revises: 0021_intake_inbox
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0022_incidents"
down_revision: str | Sequence[str] | None = "0021_intake_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "incidents",
        _id(),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("category_code", sa.String(64), sa.ForeignKey("categories.code"), nullable=False),
        sa.Column("family", sa.String(80), nullable=False),
        sa.Column("district_code", sa.String(64), sa.ForeignKey("districts.code")),
        sa.Column("streets", JSONB(), nullable=False, server_default="[]"),
        sa.Column("houses", JSONB(), nullable=False, server_default="[]"),
        sa.Column("departments", JSONB(), nullable=False, server_default="[]"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("window_start_at", TS, nullable=False),
        sa.Column("window_end_at", TS, nullable=False),
        sa.Column("ticket_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("detection", JSONB()),
        sa.Column("info_risk_score", sa.Float(), nullable=False, server_default="0"),
        sa.Column("info_risk", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("expected_resolution_at", TS),
        sa.Column("public_message", sa.Text()),
        sa.Column("confirmed_by", sa.String(200)),
        sa.Column("confirmed_at", TS),
        sa.Column("closed_by", sa.String(200)),
        sa.Column("closed_at", TS),
        sa.Column("closed_reason", sa.Text()),
        sa.Column("split_from_id", sa.BigInteger(), sa.ForeignKey("incidents.id")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('suspected','confirmed','resolving','resolved','dismissed')",
            name="ck_incidents_status",
        ),
    )
    op.create_index("ix_incidents_status", "incidents", ["status", "id"])
    # The intake asks "which open incidents could this ticket join" once per batch.
    op.create_index(
        "ix_incidents_open_family",
        "incidents",
        ["family", "district_code"],
        postgresql_where=sa.text("status IN ('suspected','confirmed','resolving')"),
    )
    op.create_table(
        "incident_tickets",
        _id(),
        sa.Column("incident_id", sa.BigInteger(), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("linked_by", sa.String(16), nullable=False),
        sa.Column("linked_actor", sa.String(200), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        sa.Column("unlinked_at", TS),
        sa.Column("unlinked_by", sa.String(200)),
    )
    # A ticket is in one incident at a time; its past links stay as history.
    op.create_index(
        "uq_incident_tickets_active",
        "incident_tickets",
        ["ticket_id"],
        unique=True,
        postgresql_where=sa.text("unlinked_at IS NULL"),
    )
    op.create_index("ix_incident_tickets_incident", "incident_tickets", ["incident_id", "id"])
    op.create_table(
        "incident_messages",
        _id(),
        sa.Column("incident_id", sa.BigInteger(), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_incident_messages_incident", "incident_messages", ["incident_id", "id"])
    op.create_table(
        "incident_deliveries",
        sa.Column(
            "message_id",
            sa.BigInteger(),
            sa.ForeignKey("incident_messages.id"),
            primary_key=True,
        ),
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("incident_id", sa.BigInteger(), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("answer_id", sa.BigInteger(), sa.ForeignKey("ticket_answers.id")),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(300)),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_incident_deliveries_ticket", "incident_deliveries", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("incident_deliveries")
    op.drop_table("incident_messages")
    op.drop_table("incident_tickets")
    op.drop_table("incidents")
