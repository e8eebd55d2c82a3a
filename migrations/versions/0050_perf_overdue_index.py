"""performance: covering index for the overdue-by-department gauge

Revision ID: 0050_perf
Revises: 0002

``appeals_tickets_overdue`` counts open overdue tickets by department on every scrape. The
partial index ix_tickets_open_due finds them but every row is a heap visit (one random page
per overdue ticket): 32-47 ms at 100 000 tickets with ~1 000 overdue, growing with the overdue
count. With department_code and status included the count is an index-only scan: 0.9 ms.
Measured in bench/ (docs/PERFORMANCE.md).
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0050_perf"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_open_due_dept ON tickets (resolution_due_at) "
        "INCLUDE (department_code, status) "
        "WHERE status IN ('new','routed','in_progress','on_hold')"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_tickets_open_due_dept")
