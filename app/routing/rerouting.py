"""Re-routing: a department returns a ticket as not theirs; triage or an admin routes it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.directory import service as directory
from app.errors import Forbidden, ValidationFailed
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.common import OPEN_STATUSES, Role, Status
from app.models.directory import Department
from app.models.routing import ReturnRequest, RouteRequest
from app.models.tickets import Ticket
from app.tickets.events import record_event
from app.tickets.service import check_version, get_visible_ticket
from app.tickets.status import apply_status, touch

BOUNCE_AFTER = 2  # re-routed this many times: the ticket bounces between departments
STAFF = (Role.operator, Role.manager, Role.admin)


async def _target(session: AsyncSession, code: str) -> Department:
    department = await session.get(Department, code)
    if department is None or not department.active:
        raise ValidationFailed(f"department '{code}' does not exist", field="department")
    return department


async def move_ticket(
    session: AsyncSession,
    ticket: Ticket,
    target: Department,
    *,
    actor: str,
    how: str,
    reason: str,
    suggested: str | None = None,
    now: datetime,
) -> Ticket:
    """Send the ticket to ``target``; record time spent, reason, and count a real re-route."""
    source = await _movable_from(session, ticket, target)
    spent = int((now - (ticket.routed_at or ticket.created_at)).total_seconds())
    # Leaving triage is the normal path; leaving a department that had it is a re-route.
    rerouted = not source.is_triage
    before_status = _relocate(ticket, target, rerouted=rerouted, now=now)
    record_event(
        session,
        ticket,
        actor=actor,
        type="rerouted" if rerouted else "routed",
        method=how,
        department_before=source.code,
        department=target.code,
        reason=reason,
        suggested_department=suggested,
        seconds_in_department=max(spent, 0),
        reroute_count=ticket.reroute_count,
        status_before=before_status,
        status=ticket.status,
    )
    if rerouted:
        await _count_reroute(session, ticket, source, target, how=how)
    else:
        await metrics_store.increment(
            session,
            catalog.TICKETS_ROUTED,
            {"department": target.code, "method": "manual"},
        )
    return ticket


async def _movable_from(session: AsyncSession, ticket: Ticket, target: Department) -> Department:
    """The department the ticket leaves, once it is known that it may go to ``target``."""
    if Status(ticket.status) not in OPEN_STATUSES:
        raise ValidationFailed(
            f"only open tickets move between departments; this one is '{ticket.status}'",
            field="ticket",
        )
    source = await directory.get_department(session, ticket.department_code)
    if target.code == source.code:
        raise ValidationFailed(f"the ticket is already in '{target.code}'", field="department")
    return source


def _relocate(ticket: Ticket, target: Department, *, rerouted: bool, now: datetime) -> str:
    """Put the ticket in ``target``, unassigned; a new ticket leaving triage becomes routed.
    Returns the status it had before."""
    if rerouted:
        ticket.reroute_count += 1
    ticket.department_code = target.code
    ticket.routed_at = now
    ticket.assignee = None
    before_status = ticket.status
    if ticket.status == Status.new and not target.is_triage:
        apply_status(ticket, Status.routed, now=now)
    else:
        touch(ticket, now)
    return before_status


async def _count_reroute(
    session: AsyncSession, ticket: Ticket, source: Department, target: Department, *, how: str
) -> None:
    """Count the re-route; at ``BOUNCE_AFTER`` of them the ticket is flagged as bouncing."""
    await metrics_store.increment(
        session,
        catalog.TICKETS_REROUTED,
        {"from_department": source.code, "to_department": target.code, "how": how},
    )
    if ticket.reroute_count >= BOUNCE_AFTER and not ticket.bouncing:
        ticket.bouncing = True
        record_event(
            session,
            ticket,
            actor="system:routing",
            type="bouncing",
            reroute_count=ticket.reroute_count,
            department=target.code,
        )
        await metrics_store.increment(
            session, catalog.TICKETS_BOUNCING, {"department": source.code}
        )


async def return_ticket(
    session: AsyncSession,
    ticket_id: int,
    data: ReturnRequest,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Ticket:
    """Not ours: to the named department when the caller knows it, else to triage."""
    if principal.role not in STAFF:
        raise Forbidden(f"role '{principal.role}' cannot return tickets")
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    if if_match is not None:
        check_version(ticket, if_match)
    if data.department is not None:
        target = await _target(session, data.department)
    else:
        target = await directory.triage_department(session)
    return await move_ticket(
        session,
        ticket,
        target,
        actor=principal.actor,
        how="returned",
        reason=data.reason,
        suggested=data.department,
        now=now,
    )


async def route_ticket(
    session: AsyncSession,
    ticket_id: int,
    data: RouteRequest,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Ticket:
    """Triage staff or an admin sends a ticket to a department."""
    if principal.role not in STAFF:
        raise Forbidden(f"role '{principal.role}' cannot route tickets")
    if not principal.sees_all_departments:
        own = await directory.get_department(session, principal.department_code or "")
        if not own.is_triage:
            raise Forbidden("only the triage department or an admin routes tickets")
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    if if_match is not None:
        check_version(ticket, if_match)
    target = await _target(session, data.department)
    return await move_ticket(
        session,
        ticket,
        target,
        actor=principal.actor,
        how="manual",
        reason=data.reason,
        now=now,
    )
