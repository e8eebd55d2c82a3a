"""Read-only questions about citizens' feedback that list pages ask (the console's inbox)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.feedback import TicketFeedback


async def unhappy_tickets(session: AsyncSession, ticket_ids: list[int]) -> set[int]:
    """Those of ``ticket_ids`` whose citizen was not satisfied with an answer."""
    if not ticket_ids:
        return set()
    rows = await session.exec(
        select(TicketFeedback.ticket_id).where(
            col(TicketFeedback.ticket_id).in_(ticket_ids),
            TicketFeedback.sentiment == "negative",
        )
    )
    return set(rows.all())
