"""Tickets tied to a ticket by duplicates and repeats: merged ones, its main one, suggestions.

Read-only questions the ticket and triage pages ask; merging and dismissing live in
``dedup.actions``. Every link passes ``access.visibility.sees_link``: a viewer is shown a
related ticket only when it may see both ends (a suggested duplicate across departments: the
triage department and admins).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.visibility import Viewer, sees, sees_link
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket


async def related_tickets(
    session: AsyncSession, ticket: Ticket, *, viewer: Viewer
) -> dict[str, Any]:
    """Its main ticket, the one it repeats, duplicates merged into it, repeats of it, open
    suggestions — each only when the viewer may see the link; ``openable``: ids whose page the
    viewer may open (the rest are shown by number)."""
    assert ticket.id is not None
    pointing = (
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
    by_id = await _by_id(session, {ticket.duplicate_of_id, ticket.repeat_of_id} | suggested_ids)

    def shown(others: Sequence[Ticket | None], *, suggested: bool = False) -> list[Ticket]:
        return [
            t
            for t in others
            if t is not None
            and sees_link(viewer, ticket.department_code, t.department_code, suggested=suggested)
        ]

    related: dict[str, Any] = {
        "main": shown([by_id.get(ticket.duplicate_of_id)]),
        "repeat_of": shown([by_id.get(ticket.repeat_of_id)]),
        "merged_here": shown([t for t in pointing if t.duplicate_of_id == ticket.id]),
        "repeats": shown([t for t in pointing if t.repeat_of_id == ticket.id]),
        "suggested": shown([by_id.get(i) for i in sorted(suggested_ids)], suggested=True),
    }
    related["openable"] = {
        t.id
        for kind in list(related.values())
        for t in kind
        if sees(viewer.principal, t.department_code)
    }
    return related


async def suggestion_pairs(
    session: AsyncSession, suggestions: Sequence[DuplicateSuggestion], *, viewer: Viewer
) -> list[tuple[DuplicateSuggestion, Ticket, Ticket]]:
    """Each suggestion the viewer may see with its ticket and candidate, in order."""
    by_id = await _by_id(session, {i for s in suggestions for i in (s.ticket_id, s.candidate_id)})
    pairs = []
    for suggestion in suggestions:
        ticket, candidate = by_id.get(suggestion.ticket_id), by_id.get(suggestion.candidate_id)
        if (
            ticket is not None
            and candidate is not None
            and sees_link(viewer, ticket.department_code, candidate.department_code, suggested=True)
        ):
            pairs.append((suggestion, ticket, candidate))
    return pairs


async def _by_id(session: AsyncSession, ids: set[int | None]) -> dict[int | None, Ticket]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.exec(select(Ticket).where(col(Ticket.id).in_(wanted)))
    return {t.id: t for t in rows.all()}
