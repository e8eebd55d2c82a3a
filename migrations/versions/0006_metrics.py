"""metrics: seed the open-tickets gauge from the tickets that exist

Revision ID: 0006
Revises: 0002

``appeals_tickets_open`` is a signed durable counter kept by the ticket ORM hook from now on;
tickets created before this revision are counted here once.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = ("new", "routed", "in_progress", "on_hold")


def _labels(department: str, status: str) -> str:
    # Same canonical form as app.metrics.store.encode_labels.
    return json.dumps(
        {"department": department, "status": status}, ensure_ascii=False, separators=(",", ":")
    )


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT department_code, status, count(*) FROM tickets "
            "WHERE status IN ('new','routed','in_progress','on_hold') "
            "GROUP BY department_code, status"
        )
    ).all()
    for department, status, count in rows:
        bind.execute(
            sa.text(
                "INSERT INTO metric_counters (name, labels, shard, value) "
                "VALUES ('appeals_tickets_open', :labels, 0, :value) "
                "ON CONFLICT (name, labels, shard) DO UPDATE "
                "SET value = metric_counters.value + EXCLUDED.value"
            ),
            {"labels": _labels(department, status), "value": float(count)},
        )


def downgrade() -> None:
    op.execute("DELETE FROM metric_counters WHERE name = 'appeals_tickets_open'")
