"""Which source items a poller re-reads: open tickets of a source, in id order."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.common import OPEN_STATUSES
from app.models.tickets import Ticket


async def open_items(
    session: AsyncSession, *, source: str, after_id: int, limit: int
) -> list[tuple[int, str]]:
    """(ticket id, source id) of open tickets of ``source`` after ``after_id``, oldest first."""
    rows = await session.exec(
        select(Ticket.id, Ticket.source_id)
        .where(
            Ticket.source == source,
            col(Ticket.status).in_([s.value for s in OPEN_STATUSES]),
            col(Ticket.id) > after_id,
        )
        .order_by(col(Ticket.id))
        .limit(limit)
    )
    return [(int(i), str(s)) for i, s in rows.all() if i is not None]
