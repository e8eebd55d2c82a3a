"""Tickets tied to a ticket by duplicates and repeats: merged ones, its main one, suggestions.

Read-only questions the ticket and triage pages ask; merging and dismissing live in
``dedup.actions``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket


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


async def suggestion_pairs(
    session: AsyncSession, suggestions: Sequence[DuplicateSuggestion]
) -> list[tuple[DuplicateSuggestion, Ticket, Ticket]]:
    """Each suggestion with its ticket and candidate, in order (a pair missing one is left out)."""
    pairs = []
    for suggestion in suggestions:
        ticket = await session.get(Ticket, suggestion.ticket_id)
        candidate = await session.get(Ticket, suggestion.candidate_id)
        if ticket is not None and candidate is not None:
            pairs.append((suggestion, ticket, candidate))
    return pairs
