"""performance: the repeat check finds closed tickets by place, not by category alone

Revision ID: 0012
Revises: 0011

Every new ticket with a place asks for closed tickets of its category at the same address or
within 100 m in the last 90 days. ix_tickets_repeat (category, closed_at) found every closed
ticket of the category in the window and filtered them by place on the heap: 2 470 heap rows
and 2.1 ms per ticket at 1 000 000 tickets, growing with N (bench/, docs/PERFORMANCE.md). The
two indexes below, shaped like the open-candidate ones, make it a BitmapOr of two index
ranges that touch only the rows at that place.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_repeat_address ON tickets "
        "(category_code, address_key, closed_at) "
        "WHERE status = 'closed' AND address_key IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_repeat_point ON tickets "
        "(category_code, lat, lon) INCLUDE (closed_at) "
        "WHERE status = 'closed' AND lat IS NOT NULL"
    )
    op.execute("DROP INDEX IF EXISTS ix_tickets_repeat")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_repeat ON tickets (category_code, closed_at) "
        "WHERE status = 'closed'"
    )
    op.execute("DROP INDEX IF EXISTS ix_tickets_repeat_point")
    op.execute("DROP INDEX IF EXISTS ix_tickets_repeat_address")
