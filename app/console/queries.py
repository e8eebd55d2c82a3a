"""What the console pages read besides the ticket services: related tickets, triage hints."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.errors import AppError
from app.models.feedback import TicketFeedback
from app.models.routing import DuplicateSuggestion, ExplainRequest, ExplainResult
from app.models.tickets import Ticket
from app.routing.service import explain


async def related_tickets(
    session: AsyncSession, ticket: Ticket, *, principal: Principal
) -> dict[str, list[Ticket]]:
    """Duplicates merged into this ticket, its main ticket, repeats, open suggestions."""
    assert ticket.id is not None
    ids = {i for i in (ticket.duplicate_of_id, ticket.repeat_of_id) if i is not None}
    merged = (
        await session.exec(
            select(Ticket).where(
                or_(col(Ticket.duplicate_of_id) == ticket.id, col(Ticket.repeat_of_id) == ticket.id)
            )
        )
    ).all()
    suggestions = (
        await session.exec(
            select(DuplicateSuggestion).where(
                DuplicateSuggestion.status == "open",
                or_(
                    col(DuplicateSuggestion.ticket_id) == ticket.id,
                    col(DuplicateSuggestion.candidate_id) == ticket.id,
                ),
            )
        )
    ).all()
    suggested_ids = {
        s.candidate_id if s.ticket_id == ticket.id else s.ticket_id for s in suggestions
    }
    wanted = ids | suggested_ids
    others = (
        list((await session.exec(select(Ticket).where(col(Ticket.id).in_(wanted)))).all())
        if wanted
        else []
    )
    by_id = {t.id: t for t in others}

    def visible(t: Ticket | None) -> bool:
        return t is not None and (
            principal.sees_all_departments or t.department_code == principal.department_code
        )

    return {
        "main": [t for t in [by_id.get(ticket.duplicate_of_id)] if visible(t)],  # type: ignore[misc]
        "repeat_of": [t for t in [by_id.get(ticket.repeat_of_id)] if visible(t)],  # type: ignore[misc]
        "merged_here": [t for t in merged if t.duplicate_of_id == ticket.id],
        "repeats": [t for t in merged if t.repeat_of_id == ticket.id],
        "suggested": [by_id[i] for i in sorted(suggested_ids) if i in by_id],
    }


async def routing_hint(session: AsyncSession, ticket: Ticket) -> ExplainResult | None:
    """Where routing would send the ticket now and which rules almost matched."""
    payload: dict[str, Any] = {
        "text": ticket.text[:20_000] or "—",
        "source": ticket.source,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "category": ticket.category_code,
        "source_category": ticket.source_category,
        "priority": ticket.priority,
        "address": ticket.address,
        "lat": ticket.lat,
        "lon": ticket.lon,
        "district": ticket.district_code,
    }
    try:
        return await explain(session, ExplainRequest(**payload))
    except (AppError, ValidationError):
        return None


async def unhappy_tickets(session: AsyncSession, ticket_ids: list[int]) -> set[int]:
    """Tickets on the page whose citizen was not satisfied with an answer (shown in the inbox)."""
    if not ticket_ids:
        return set()
    rows = await session.exec(
        select(TicketFeedback.ticket_id).where(
            col(TicketFeedback.ticket_id).in_(ticket_ids),
            TicketFeedback.sentiment == "negative",
        )
    )
    return set(rows.all())
