"""join the capability branches (inbound, outbox, SLA, metrics, routing, channels, users, perf)

Each capability was developed as its own branch from 0002; this revision makes one head again
so later migrations have a single parent.

Revision ID: 0010
Revises: 0003, 0004, 0005, 0006, 0007, 0008, 0009, 0050_perf
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | Sequence[str] | None = (
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0050_perf",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
