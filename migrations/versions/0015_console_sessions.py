"""console sessions held server-side, and the access audit

Revision ID: 0015_console_sessions
Revises: 0014_lemma_search

The console cookie carried a signed, stateless session that outlived sign-out for up to its
whole lifetime. Sessions now live in ``console_sessions`` (keyed by the SHA-256 of the opaque
id the cookie carries): sign-out, disabling the user and a new password delete the rows, so
the next request on any replica is refused. ``access_audit`` records privileged reads of
personal data (a quarantined delivery's raw body), who did them and why.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_console_sessions"
down_revision: str | Sequence[str] | None = "0014_lemma_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("console_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    op.create_table(
        "access_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_access_audit_at", "access_audit", ["at"])
    op.create_index("ix_access_audit_subject", "access_audit", ["subject"])


def downgrade() -> None:
    op.drop_table("access_audit")
    op.drop_table("console_sessions")
