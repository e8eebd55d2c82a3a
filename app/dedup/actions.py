"""What staff do with duplicates: merge, unmerge, review and dismiss suggestions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
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
    """Link a ticket the caller sees as a duplicate of another ticket the caller sees."""
    _require_staff(principal)
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    try:
        main = await get_visible_ticket(session, data.into, principal=principal, for_update=True)
    except NotFound as exc:
        raise ValidationFailed(f"ticket {data.into} does not exist", field="into") from exc
    return await dedup.merge(
        session,
        ticket,
        main,
        actor=principal.actor,
        reason=data.reason or "merged by hand",
        now=now,
    )


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
    session: AsyncSession, *, principal: Principal, status: str, limit: int
) -> list[DuplicateSuggestion]:
    """Suggested duplicates for the caller's department (every department for admins)."""
    _require_staff(principal)
    query = (
        select(DuplicateSuggestion)
        .join(Ticket, col(Ticket.id) == DuplicateSuggestion.ticket_id)
        .where(DuplicateSuggestion.status == status)
        .order_by(col(DuplicateSuggestion.id).desc())
        .limit(limit)
    )
    if not principal.sees_all_departments:
        query = query.where(Ticket.department_code == principal.department_code)
    return list((await session.exec(query)).all())


async def dismiss_suggestion(
    session: AsyncSession, suggestion_id: int, *, principal: Principal, now: datetime
) -> DuplicateSuggestion:
    """The operator says: not a duplicate."""
    _require_staff(principal)
    row = await session.get(DuplicateSuggestion, suggestion_id, with_for_update=True)
    if row is None:
        raise NotFound(f"suggestion {suggestion_id} does not exist")
    ticket = await get_visible_ticket(session, row.ticket_id, principal=principal)
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
