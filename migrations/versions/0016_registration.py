"""59-ФЗ registration: its own SLA target, not a first-response clock (issue 18)

Revision ID: 0016_registration
Revises: 0015_console_sessions

A policy gets a ``registration`` term (and ``registration_by_hand``); a ticket gets
``registration_due_at`` and ``registered_at``. Policies and running tickets made before this
carried the 59-ФЗ 3-day term as ``first_response``: it moves to ``registration``, and those
tickets count as registered when the hub made them (``received_at``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_registration"
down_revision: str | Sequence[str] | None = "0015_console_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sla_policies", sa.Column("registration", postgresql.JSONB(), nullable=True))
    op.add_column(
        "sla_policies",
        sa.Column("registration_by_hand", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "tickets", sa.Column("registration_due_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("tickets", sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))
    # The ORM stores an absent term as JSON null: test for an object, not for SQL NULL.
    op.execute(
        "UPDATE sla_policies SET registration = first_response, first_response = NULL "
        "WHERE legal_dates AND jsonb_typeof(first_response) = 'object'"
    )
    op.execute(
        """
        UPDATE tickets SET
            registration_due_at = first_response_due_at,
            registered_at = received_at,
            first_response_due_at = NULL,
            first_response_risk_at = NULL,
            sla_terms = (sla_terms - 'first_response')
                || jsonb_build_object('registration', sla_terms -> 'first_response')
        WHERE kind = 'fz59_appeal'
          AND sla_terms ->> 'legal_dates' = 'true'
          AND jsonb_typeof(sla_terms -> 'first_response') = 'object'
        """
    )


def downgrade() -> None:
    op.execute(
        "UPDATE sla_policies SET first_response = registration WHERE legal_dates "
        "AND jsonb_typeof(registration) = 'object' "
        "AND coalesce(jsonb_typeof(first_response), 'null') = 'null'"
    )
    op.drop_column("tickets", "registered_at")
    op.drop_column("tickets", "registration_due_at")
    op.drop_column("sla_policies", "registration_by_hand")
    op.drop_column("sla_policies", "registration")
