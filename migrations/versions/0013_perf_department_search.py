"""performance: full-text search within one department answered inside one GIN index

Revision ID: 0013
Revises: 0012

An operator's search is ``department_code = … AND search @@ …``. A word common in the city
but rare in the department («яма» for housing) matched ~100 000 rows in ix_tickets_search, and
each was fetched to check its department: 550-630 ms at 1 000 000 tickets (bench/,
docs/PERFORMANCE.md). With the department as a GIN key column (btree_gin, a trusted contrib
extension shipped with PostgreSQL and offered by the managed services) the intersection
happens in the index and only the matching rows are read.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_department_search ON tickets "
        "USING gin (department_code, search)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_tickets_department_search")
