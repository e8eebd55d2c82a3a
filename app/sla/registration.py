"""59-ФЗ registration recorded by an operator, where a city registers appeals by hand.

Where it does not (the default), the hub registers an appeal when it makes the ticket
(``deadlines.apply_initial_deadlines``). Either way registration is its own SLA target: the
sweeper marks it breached when it came after ``registration_due_at`` (or has not come by then).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.errors import Conflict, Forbidden
from app.models.common import Role
from app.models.tickets import Ticket
from app.sla import deadlines as sla
from app.tickets.events import record_event
from app.tickets.service import check_version, get_visible_ticket
from app.tickets.status import touch


async def register_appeal(
    session: AsyncSession,
    ticket_id: int,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Ticket:
    """Record that the appeal was registered now (a policy with ``registration_by_hand``)."""
    if principal.role not in (Role.operator, Role.manager, Role.admin):
        raise Forbidden(f"role '{principal.role}' cannot register appeals")
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    if if_match is not None:
        check_version(ticket, if_match)
    terms = sla.terms_of(ticket)
    if terms is None or terms.registration is None or not terms.registration_by_hand:
        raise Conflict("this ticket's SLA policy has no registration made by hand")
    if ticket.registered_at is not None:
        raise Conflict(
            "the appeal is already registered", registered_at=ticket.registered_at.isoformat()
        )
    ticket.registered_at = now
    # A registration in time takes the due date out of the sweeper's sight; a late one keeps it
    # there until the breach is marked.
    sla.set_deadlines(ticket, sla.current_deadlines(ticket))
    touch(ticket, now)
    due = ticket.registration_due_at
    record_event(
        session,
        ticket,
        actor=principal.actor,
        type="registered",
        registered_at=now,
        registration_due_at=due,
        late=due is not None and now > due,
    )
    return ticket
