"""Reading incidents: who sees one, the list, the detail's tickets and messages, the ETag.

An incident is seen by admins, by the triage department (the control centre, which watches
every wave) and by the departments of its tickets (``Incident.departments``); anyone else
gets a 404, as for another department's ticket. Operators, managers and admins only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access import visibility
from app.access.api_keys import Principal
from app.errors import Forbidden, NotFound
from app.models.common import Role
from app.models.incidents import Incident, IncidentDelivery, IncidentMessage, IncidentTicket
from app.models.tickets import Ticket

STAFF = (Role.operator, Role.manager, Role.admin)


def etag(incident: Incident) -> str:
    """The ``ETag`` of an incident's version."""
    return f'"incident-{incident.id}-{incident.version}"'


def require_staff(principal: Principal) -> None:
    if principal.role not in STAFF:
        raise Forbidden(f"role '{principal.role}' cannot work on incidents")


async def _triage(session: AsyncSession, principal: Principal) -> bool:
    return (await visibility.viewer_for(session, principal)).triage


async def sees(session: AsyncSession, principal: Principal, incident: Incident) -> bool:
    """Admins, the triage department and the departments of the incident's tickets."""
    if principal.sees_all_departments or principal.department_code in incident.departments:
        return True
    return await _triage(session, principal)


async def visible_houses(
    session: AsyncSession, principal: Principal, incidents: Sequence[Incident]
) -> dict[int, list[str]]:
    """Each incident's houses the principal may see: all of them for a viewer who sees every
    department of its tickets, else those named by its linked tickets the viewer sees (the
    console shows a ticket's address only to whoever sees the ticket). The streets and the
    district are shown to everyone who sees the incident."""
    shown: dict[int, list[str]] = {
        i.id: list(i.houses)
        for i in incidents
        if i.id is not None and all(visibility.sees(principal, d) for d in i.departments)
    }
    partial = [i for i in incidents if i.id is not None and i.id not in shown]
    if not partial:
        return shown
    rows = await session.exec(
        select(IncidentTicket.incident_id, Ticket.address_key)
        .join(Ticket, col(Ticket.id) == col(IncidentTicket.ticket_id))
        .where(
            col(IncidentTicket.incident_id).in_([i.id for i in partial]),
            col(IncidentTicket.unlinked_at).is_(None),
            Ticket.department_code == principal.department_code,
        )
    )
    named: dict[int, set[str]] = {}
    for incident_id, key in rows.all():
        named.setdefault(incident_id, set()).add(key or "")
    for incident in partial:
        own = named.get(incident.id or 0, set())
        shown[incident.id or 0] = [h for h in incident.houses if h in own]
    return shown


async def get_incident(
    session: AsyncSession,
    incident_id: int,
    *,
    principal: Principal,
    for_update: bool = False,
) -> Incident:
    """The incident if the principal may see it (404 otherwise)."""
    require_staff(principal)
    query = select(Incident).where(Incident.id == incident_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    incident = (await session.exec(query)).first()
    if incident is None or not await sees(session, principal, incident):
        raise NotFound(f"incident {incident_id} does not exist")
    return incident


async def list_incidents(
    session: AsyncSession,
    *,
    principal: Principal,
    status: Sequence[str] = (),
    limit: int = 50,
    before_id: int | None = None,
) -> list[Incident]:
    """Incidents the principal sees, newest first (filter by ``status``)."""
    require_staff(principal)
    query = select(Incident).order_by(col(Incident.id).desc()).limit(limit)
    if status:
        query = query.where(col(Incident.status).in_(list(status)))
    if before_id is not None:
        query = query.where(col(Incident.id) < before_id)
    if not principal.sees_all_departments and not await _triage(session, principal):
        query = query.where(
            col(Incident.departments).contains([principal.department_code])  # type: ignore[attr-defined]
        )
    return list((await session.exec(query)).all())


@dataclass(frozen=True)
class LinkedTicket:
    ticket: Ticket
    link: IncidentTicket


@dataclass(frozen=True)
class MessageSummary:
    message: IncidentMessage
    outcomes: dict[str, int]


async def ticket_links(session: AsyncSession, incident: Incident) -> list[LinkedTicket]:
    """Every link the incident ever had (active ones first), with its ticket."""
    rows = await session.exec(
        select(Ticket, IncidentTicket)
        .join(IncidentTicket, col(IncidentTicket.ticket_id) == col(Ticket.id))
        .where(IncidentTicket.incident_id == incident.id)
        .order_by(col(IncidentTicket.unlinked_at).is_not(None), col(IncidentTicket.id))
    )
    return [LinkedTicket(t, link) for t, link in rows.all()]


async def messages(session: AsyncSession, incident: Incident) -> list[MessageSummary]:
    """The incident's messages, oldest first, with their fan-out outcomes."""
    found = (
        await session.exec(
            select(IncidentMessage)
            .where(IncidentMessage.incident_id == incident.id)
            .order_by(col(IncidentMessage.id))
        )
    ).all()
    counts = (
        await session.exec(
            select(IncidentDelivery.message_id, IncidentDelivery.outcome, func.count())
            .where(IncidentDelivery.incident_id == incident.id)
            .group_by(col(IncidentDelivery.message_id), col(IncidentDelivery.outcome))
        )
    ).all()
    by_message: dict[int, dict[str, int]] = {}
    for message_id, outcome, n in counts:
        by_message.setdefault(message_id, {})[outcome] = n
    return [MessageSummary(m, by_message.get(m.id or 0, {})) for m in found]
