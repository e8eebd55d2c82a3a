"""recompute tickets.address_key in the new place-key format (lemmas, crossroads, house numbers)

Revision ID: 0018_place_keys
Revises: 0017_chat_updates

Place keys changed format in issue 18: street names are pymorphy3 lemmas («советский 12», was
the Snowball stem «советск 12»), house numbers are spelled one way («12-а» → «12а»), a
crossroads is one order-independent key («ленин / советский»). Duplicate detection compares
a new ticket with open tickets (30 days) and recently closed ones (90 days) by key, so those
rows are recomputed here from their address, or from their text when they have none; older
closed tickets are never compared again and keep their stored key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_place_keys"
down_revision: str | Sequence[str] | None = "0017_chat_updates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
_READ = sa.text(
    "SELECT id, text, address FROM tickets WHERE id > :after "
    "AND (status <> 'closed' OR closed_at >= now() - interval '90 days') "
    "ORDER BY id LIMIT :batch"
)
_WRITE = sa.text("UPDATE tickets SET address_key = :key WHERE id = :id")


def upgrade() -> None:
    from app.dedup.place_key import address_key, key_in_text

    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(_READ, {"after": after, "batch": BATCH}).all()
        if not rows:
            return
        keys = [
            {"id": r.id, "key": address_key(r.address) if r.address else key_in_text(r.text)}
            for r in rows
        ]
        bind.execute(_WRITE, keys)
        after = rows[-1].id


def downgrade() -> None:
    """Keys in the new format still work for equality; nothing to undo."""
