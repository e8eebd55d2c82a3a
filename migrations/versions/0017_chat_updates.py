"""chat-bot: the set of recent update ids per chat replaces "the highest id seen"

Revision ID: 0017_chat_updates
Revises: 0016_registration

An album is several updates sent at once, over parallel webhook connections: the one with the
lower id may be handled last. ``chatbot_reports.last_update_id >= update_id`` then called it a
repeat and dropped its photo. ``chatbot_updates`` keeps each update a report took (per chat, a
couple of days: Telegram stops re-sending after one), seeded with the ids reports remember.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_chat_updates"
down_revision: str | Sequence[str] | None = "0016_registration"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chatbot_updates",
        sa.Column("chat_hash", sa.String(64), primary_key=True),
        sa.Column("update_id", sa.BigInteger(), primary_key=True),
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_chatbot_updates_received", "chatbot_updates", ["received_at"])
    op.execute(
        "INSERT INTO chatbot_updates (chat_hash, update_id, ticket_id, received_at) "
        "SELECT chat_hash, last_update_id, ticket_id, now() FROM chatbot_reports "
        "WHERE last_update_id > 0 ON CONFLICT DO NOTHING"
    )
    op.drop_column("chatbot_reports", "last_update_id")


def downgrade() -> None:
    op.add_column(
        "chatbot_reports",
        sa.Column("last_update_id", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute(
        "UPDATE chatbot_reports r SET last_update_id = u.top FROM "
        "(SELECT ticket_id, max(update_id) AS top FROM chatbot_updates GROUP BY ticket_id) u "
        "WHERE u.ticket_id = r.ticket_id"
    )
    op.drop_table("chatbot_updates")
