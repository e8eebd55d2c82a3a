"""full-text search on lemmas: tickets.search_text and a 'simple' tsvector over it

Revision ID: 0014_lemma_search
Revises: 0013

PostgreSQL's ``russian`` configuration stems with Snowball, which splits one word's forms
(«батарея» → «батаре», «батареи» → «батар»): a search for «батарея» missed «холодные батареи».
The hub now writes the lemmas (pymorphy3, app.routing.ru_text) of the text and address into
``search_text``; ``search`` becomes ``to_tsvector('simple', search_text)``. Existing rows are
lemmatised here in batches, with the old vector and its indexes already dropped (no index
upkeep per updated row); the new vector and both GIN indexes are built once at the end.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_lemma_search"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_tickets_search ON tickets USING gin (search)",
    "CREATE INDEX IF NOT EXISTS ix_tickets_department_search ON tickets "
    "USING gin (department_code, search)",
)


def _drop_search() -> None:
    op.execute("DROP INDEX IF EXISTS ix_tickets_department_search")
    op.execute("DROP INDEX IF EXISTS ix_tickets_search")
    op.execute("ALTER TABLE tickets DROP COLUMN IF EXISTS search")


def _add_search(expression: str) -> None:
    op.execute(
        f"ALTER TABLE tickets ADD COLUMN search tsvector GENERATED ALWAYS AS ({expression}) STORED"
    )
    for statement in _INDEXES:
        op.execute(statement)


def _backfill() -> None:
    from app.tickets.search_text import search_document

    bind = op.get_bind()
    read = sa.text(
        "SELECT id, text, address FROM tickets WHERE id > :after ORDER BY id LIMIT :batch"
    )
    write = sa.text("UPDATE tickets SET search_text = :doc WHERE id = :id")
    after = 0
    while True:
        rows = bind.execute(read, {"after": after, "batch": BATCH}).all()
        if not rows:
            return
        bind.execute(write, [{"id": r.id, "doc": search_document(r.text, r.address)} for r in rows])
        after = rows[-1].id


def upgrade() -> None:
    _drop_search()
    op.execute("ALTER TABLE tickets ADD COLUMN IF NOT EXISTS search_text text")
    _backfill()
    _add_search("to_tsvector('simple'::regconfig, coalesce(search_text, ''))")


def downgrade() -> None:
    _drop_search()
    op.execute("ALTER TABLE tickets DROP COLUMN IF EXISTS search_text")
    _add_search(
        "to_tsvector('russian'::regconfig, coalesce(text, '') || ' ' || coalesce(address, ''))"
    )
