"""What the control centre and departments do with an incident: read, open, confirm, dismiss,
split, link and unlink tickets, and publish the one message every linked citizen gets.

Who: operators, managers and admins who see the incident (``app.incidents.queries``). The
incident's ticket list carries numbers, sources and statuses only (no text, no applicant), so
it is shown whole to whoever sees the incident. Linking a ticket needs the caller to see it.

Statuses: ``suspected`` (detection's guess) → ``confirmed`` (an operator agreed, or opened it)
→ ``resolving`` (an interim message went out) → ``resolved`` (the final one went out);
``suspected|confirmed`` → ``dismissed`` (not one problem: its tickets are released). Every
write bumps ``version``; ``If-Match`` with the ETag of the last read is checked when sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.directory import reference
from app.errors import Conflict, ValidationFailed
from app.incidents import checks, fanout, links
from app.incidents.queries import (
    MessageSummary,
    get_incident,
    require_staff,
    ticket_links,
)
from app.incidents.surge import incident_title, problem_of
from app.models.directory import District
from app.models.incidents import (
    OPEN_INCIDENT_STATUSES,
    Incident,
    IncidentConfirm,
    IncidentCreate,
    IncidentDismiss,
    IncidentMessage,
    IncidentMessageCreate,
    IncidentSplit,
    IncidentStatus,
    IncidentTicket,
    LinkedBy,
    MessageKind,
)
from app.models.tickets import Ticket
from app.tickets.service import get_visible_ticket

S = IncidentStatus


async def _tickets_to_link(
    session: AsyncSession, ticket_ids: Sequence[int], *, principal: Principal
) -> list[Ticket]:
    tickets = []
    for ticket_id in sorted(set(ticket_ids)):
        tickets.append(
            await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
        )
    return tickets


async def _refuse_linked_elsewhere(
    session: AsyncSession, incident_id: int | None, tickets: Sequence[Ticket]
) -> None:
    rows = await session.exec(
        select(IncidentTicket.ticket_id, IncidentTicket.incident_id).where(
            col(IncidentTicket.ticket_id).in_([t.id for t in tickets]),
            col(IncidentTicket.unlinked_at).is_(None),
            IncidentTicket.incident_id != incident_id,
        )
    )
    elsewhere = {t: i for t, i in rows.all()}
    if elsewhere:
        raise Conflict(
            "some tickets are in another incident; unlink them there first",
            tickets={str(t): i for t, i in sorted(elsewhere.items())},
        )


async def create_incident(
    session: AsyncSession, data: IncidentCreate, *, principal: Principal, now: datetime
) -> Incident:
    """An incident an operator opens (confirmed at once), with the tickets named."""
    require_staff(principal)
    checks.check_expected(data.expected_resolution_at, now)
    ref = await reference.current(session)
    category = ref.require_category(data.category_code)
    if data.district_code is not None and not await _district_exists(session, data.district_code):
        raise ValidationFailed(
            f"district '{data.district_code}' does not exist", field="district_code"
        )
    tickets = await _tickets_to_link(session, data.ticket_ids, principal=principal)
    await _refuse_linked_elsewhere(session, None, tickets)
    department = principal.department_code or category.department_code
    incident = Incident(
        title=data.title,
        category_code=category.code,
        family=problem_of(ref, category.code, department),
        district_code=data.district_code,
        departments=[department] if department else [],
        status=S.confirmed.value,
        opened_by=principal.actor,
        confirmed_by=principal.actor,
        confirmed_at=now,
        window_start_at=min((t.created_at for t in tickets), default=now),
        window_end_at=max((t.created_at for t in tickets), default=now),
        expected_resolution_at=data.expected_resolution_at,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    await session.flush()
    await links.link(
        session, incident, tickets, how=LinkedBy.operator, actor=principal.actor, now=now
    )
    return incident


async def _district_exists(session: AsyncSession, code: str) -> bool:
    return await session.get(District, code) is not None


async def confirm_incident(
    session: AsyncSession,
    incident_id: int,
    data: IncidentConfirm,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Incident:
    """suspected → confirmed (optionally renamed, with the expected resolution time)."""
    incident = await get_incident(session, incident_id, principal=principal, for_update=True)
    checks.check_if_match(incident, if_match)
    checks.require_status(incident, (S.suspected,), "confirm")
    checks.check_expected(data.expected_resolution_at, now)
    incident.status = S.confirmed.value
    incident.confirmed_by, incident.confirmed_at = principal.actor, now
    if data.title:
        incident.title = data.title
    if data.expected_resolution_at is not None:
        incident.expected_resolution_at = data.expected_resolution_at
    checks.touch(incident, now)
    return incident


async def dismiss_incident(
    session: AsyncSession,
    incident_id: int,
    data: IncidentDismiss,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Incident:
    """Not one problem after all: dismissed, its tickets released (the links kept as history).
    Its tickets are never counted by detection again."""
    incident = await get_incident(session, incident_id, principal=principal, for_update=True)
    checks.check_if_match(incident, if_match)
    checks.require_status(incident, (S.suspected, S.confirmed), "dismiss")
    active = [
        row.ticket.id for row in await ticket_links(session, incident) if not row.link.unlinked_at
    ]
    await links.unlink(
        session,
        incident,
        [i for i in active if i is not None],
        actor=principal.actor,
        now=now,
        keep_area=True,
    )
    incident.status = S.dismissed.value
    incident.closed_by, incident.closed_at = principal.actor, now
    incident.closed_reason = data.reason
    return incident


async def link_tickets(
    session: AsyncSession,
    incident_id: int,
    ticket_ids: Sequence[int],
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Incident:
    """Link tickets by hand (each gets the incident's latest message at once)."""
    incident = await get_incident(session, incident_id, principal=principal, for_update=True)
    checks.check_if_match(incident, if_match)
    checks.require_status(incident, OPEN_INCIDENT_STATUSES, "link tickets to")
    tickets = await _tickets_to_link(session, ticket_ids, principal=principal)
    await _refuse_linked_elsewhere(session, incident.id, tickets)
    await links.link(
        session, incident, tickets, how=LinkedBy.operator, actor=principal.actor, now=now
    )
    return incident


async def unlink_tickets(
    session: AsyncSession,
    incident_id: int,
    ticket_ids: Sequence[int],
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Incident:
    """Take tickets out (they keep what they were sent; 422 if one is not linked)."""
    incident = await get_incident(session, incident_id, principal=principal, for_update=True)
    checks.check_if_match(incident, if_match)
    removed = await links.unlink(session, incident, ticket_ids, actor=principal.actor, now=now)
    if removed != len(set(ticket_ids)):
        raise ValidationFailed(
            "some of these tickets are not linked to the incident", field="ticket_ids"
        )
    return incident


async def split_incident(
    session: AsyncSession,
    incident_id: int,
    data: IncidentSplit,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Incident:
    """Move the chosen linked tickets to a new incident of the same status; returns the new one."""
    parent = await get_incident(session, incident_id, principal=principal, for_update=True)
    checks.check_if_match(parent, if_match)
    checks.require_status(parent, OPEN_INCIDENT_STATUSES, "split")
    wanted = set(data.ticket_ids)
    moving = [
        r.ticket
        for r in await ticket_links(session, parent)
        if r.link.unlinked_at is None and r.ticket.id in wanted
    ]
    if len(moving) != len(wanted):
        raise ValidationFailed(
            "some of these tickets are not linked to the incident", field="ticket_ids"
        )
    if len(moving) == parent.ticket_count:
        raise ValidationFailed("a split leaves at least one ticket behind", field="ticket_ids")
    await links.unlink(session, parent, sorted(wanted), actor=principal.actor, now=now)
    district = Counter(t.district_code for t in moving).most_common(1)[0][0]
    category = Counter(t.category_code for t in moving).most_common(1)[0][0]
    department = Counter(t.department_code for t in moving).most_common(1)[0][0]
    child = Incident(
        title=data.title or await incident_title(session, category, district),
        category_code=category,
        family=problem_of(await reference.current(session), category, department),
        district_code=district,
        status=parent.status,
        opened_by=principal.actor,
        confirmed_by=parent.confirmed_by,
        confirmed_at=parent.confirmed_at,
        window_start_at=min(t.created_at for t in moving),
        window_end_at=max(t.created_at for t in moving),
        split_from_id=parent.id,
        created_at=now,
        updated_at=now,
    )
    session.add(child)
    await session.flush()
    # Moved tickets keep the parent's messages they had; the child has none yet to send.
    await links.link(session, child, moving, how=LinkedBy.operator, actor=principal.actor, now=now)
    return child


async def publish_message(
    session: AsyncSession,
    incident_id: int,
    data: IncidentMessageCreate,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> tuple[Incident, MessageSummary]:
    """The one answer for all: stored, then fanned out to every linked ticket through its own
    source (``app.incidents.fanout``). Interim: confirmed → resolving; final: → resolved."""
    incident = await get_incident(session, incident_id, principal=principal, for_update=True)
    checks.check_if_match(incident, if_match)
    checks.require_status(incident, (S.confirmed, S.resolving), "publish a message on")
    checks.check_expected(data.expected_resolution_at, now)
    message = IncidentMessage(
        incident_id=incident.id,  # type: ignore[arg-type]
        kind=data.kind.value,
        text=data.text,
        author=principal.actor,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    tickets = await links.linked_tickets(session, incident)
    outcomes = await fanout.deliver(
        session, incident, message, tickets, actor=principal.actor, now=now
    )
    incident.public_message = data.text
    if data.expected_resolution_at is not None:
        incident.expected_resolution_at = data.expected_resolution_at
    if data.kind == MessageKind.final:
        incident.status = S.resolved.value
        incident.closed_by, incident.closed_at = principal.actor, now
    else:
        incident.status = S.resolving.value
    checks.touch(incident, now)
    return incident, MessageSummary(message, {k: v for k, v in outcomes.items() if v})
