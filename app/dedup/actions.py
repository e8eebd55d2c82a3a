"""What staff do with duplicates: merge, unmerge, review and dismiss suggestions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.access.visibility import Viewer, link_seen_in_sql, sees, sees_link, viewer_for
from app.dedup import detection as dedup
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.common import Role
from app.models.routing import DuplicateSuggestion, MergeRequest, UnmergeRequest
from app.models.tickets import Ticket
from app.tickets.events import record_event
from app.tickets.service import get_visible_ticket

STAFF = (Role.operator, Role.manager, Role.admin)


def _require_staff(principal: Principal) -> None:
    if principal.role not in STAFF:
        raise Forbidden(f"role '{principal.role}' cannot work on duplicates")


async def merge_tickets(
    session: AsyncSession,
    ticket_id: int,
    data: MergeRequest,
    *,
    principal: Principal,
    now: datetime,
) -> Ticket:
    """Link a ticket the caller sees as a duplicate of another ticket the caller sees, or
    confirm a suggested duplicate the caller may decide on (triage: across departments)."""
    _require_staff(principal)
    ticket, main = await _pair_to_merge(session, ticket_id, data.into, principal=principal)
    return await dedup.merge(
        session,
        ticket,
        main,
        actor=principal.actor,
        reason=data.reason or "merged by hand",
        now=now,
    )


async def _pair_to_merge(
    session: AsyncSession, ticket_id: int, into: int, *, principal: Principal
) -> tuple[Ticket, Ticket]:
    """Both tickets, locked in this order; one the caller may not see is 'not found' (the
    ticket: 404; ``into``: a field error), unless an open suggestion links the two and the
    caller may see that link."""
    ticket = await session.get(Ticket, ticket_id, with_for_update=True)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    main = await session.get(Ticket, into, with_for_update=True) if into != ticket_id else ticket
    ticket_seen = sees(principal, ticket.department_code)
    if main is not None and ticket_seen and sees(principal, main.department_code):
        return ticket, main
    if main is not None and await _suggested_link_seen(session, ticket, main, principal):
        return ticket, main
    if not ticket_seen:
        raise NotFound(f"ticket {ticket_id} does not exist")
    raise ValidationFailed(f"ticket {into} does not exist", field="into")


async def _suggested_link_seen(
    session: AsyncSession, a: Ticket, b: Ticket, principal: Principal
) -> bool:
    viewer = await viewer_for(session, principal)
    if not sees_link(viewer, a.department_code, b.department_code, suggested=True):
        return False
    pair = [a.id, b.id]
    query = select(DuplicateSuggestion.id).where(
        DuplicateSuggestion.status == "open",
        col(DuplicateSuggestion.ticket_id).in_(pair),
        col(DuplicateSuggestion.candidate_id).in_(pair),
    )
    return (await session.exec(query)).first() is not None


async def unmerge_ticket(
    session: AsyncSession,
    ticket_id: int,
    data: UnmergeRequest,
    *,
    principal: Principal,
    now: datetime,
) -> Ticket:
    """Undo a merge: the ticket is routed again as its own piece of work."""
    _require_staff(principal)
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    return await dedup.unmerge(session, ticket, actor=principal.actor, reason=data.reason, now=now)


async def list_suggestions(
    session: AsyncSession, *, viewer: Viewer, status: str, limit: int
) -> list[DuplicateSuggestion]:
    """Suggested duplicates whose both tickets the viewer sees; across departments: for the
    triage department and admins only (``access.visibility``)."""
    _require_staff(viewer.principal)
    ticket, candidate = aliased(Ticket), aliased(Ticket)
    query = (
        select(DuplicateSuggestion)
        .join(ticket, col(ticket.id) == DuplicateSuggestion.ticket_id)
        .join(candidate, col(candidate.id) == DuplicateSuggestion.candidate_id)
        .where(
            DuplicateSuggestion.status == status,
            link_seen_in_sql(
                viewer,
                col(ticket.department_code),
                col(candidate.department_code),
                suggested=True,
            ),
        )
        .order_by(col(DuplicateSuggestion.id).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def dismiss_suggestion(
    session: AsyncSession, suggestion_id: int, *, principal: Principal, now: datetime
) -> DuplicateSuggestion:
    """The operator says: not a duplicate (a suggestion the caller may see, as listed)."""
    _require_staff(principal)
    row = await session.get(DuplicateSuggestion, suggestion_id, with_for_update=True)
    ticket = await session.get(Ticket, row.ticket_id) if row is not None else None
    candidate = await session.get(Ticket, row.candidate_id) if row is not None else None
    viewer = await viewer_for(session, principal)
    if (
        row is None
        or ticket is None
        or candidate is None
        or not sees_link(viewer, ticket.department_code, candidate.department_code, suggested=True)
    ):
        raise NotFound(f"suggestion {suggestion_id} does not exist")
    if row.status != "open":
        raise ValidationFailed(f"suggestion {suggestion_id} is already {row.status}")
    row.status, row.decided_at, row.decided_by = "dismissed", now, principal.actor
    record_event(
        session,
        ticket,
        actor=principal.actor,
        type="duplicate_dismissed",
        candidate=row.candidate_id,
    )
    await session.flush()
    return row
