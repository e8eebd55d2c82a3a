"""Tickets in and out of an incident: the link rows, the incident's area and counts, the
counter ``appeals_incident_tickets_total{how}``, and the current message for a late ticket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.dedup.place import has_house, street_of
from app.incidents import fanout
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.incidents import Incident, IncidentMessage, IncidentTicket, LinkedBy
from app.models.tickets import Ticket

# A ticket already in another incident is left where it is (the partial unique index).
_LINK = text(
    "INSERT INTO incident_tickets (incident_id, ticket_id, linked_by, linked_actor, linked_at) "
    "SELECT :incident, t, :how, :actor, :now FROM unnest(CAST(:tickets AS bigint[])) AS t "
    "ON CONFLICT (ticket_id) WHERE unlinked_at IS NULL DO NOTHING RETURNING ticket_id"
)


async def link(
    session: AsyncSession,
    incident: Incident,
    tickets: Sequence[Ticket],
    *,
    how: LinkedBy,
    actor: str,
    now: datetime,
) -> list[Ticket]:
    """Link ``tickets`` (the incident row locked by the caller); returns those newly linked,
    which at once get the incident's latest message if it has one."""
    if not tickets:
        return []
    params = {
        "incident": incident.id,
        "how": how.value,
        "actor": actor,
        "now": now,
        "tickets": [t.id for t in tickets],
    }
    rows = await session.exec(_LINK, params=params)  # type: ignore[call-overload]
    added = {r[0] for r in rows.all()}
    linked = [t for t in tickets if t.id in added]
    if not linked:
        return []
    grow_area(incident, linked)
    incident.ticket_count += len(linked)
    incident.updated_at = now
    incident.version += 1
    await metrics_store.increment(
        session, catalog.INCIDENT_TICKETS, {"how": how.value}, float(len(linked))
    )
    latest = await latest_message(session, incident)
    if latest is not None:
        await fanout.deliver(session, incident, latest, linked, actor=latest.author, now=now)
    return linked


def _area(tickets: Sequence[Ticket], streets: list[str], houses: list[str]) -> None:
    for ticket in tickets:
        street = street_of(ticket.address_key)
        if street and street not in streets:
            streets.append(street)
        if has_house(ticket.address_key) and ticket.address_key not in houses:
            houses.append(ticket.address_key)  # type: ignore[arg-type]


def grow_area(incident: Incident, tickets: Sequence[Ticket]) -> None:
    """The area, window and departments widened to take ``tickets``."""
    streets, houses = list(incident.streets), list(incident.houses)
    departments = list(incident.departments)
    _area(tickets, streets, houses)
    for ticket in tickets:
        if ticket.department_code not in departments:
            departments.append(ticket.department_code)
        incident.window_start_at = min(incident.window_start_at, ticket.created_at)
        incident.window_end_at = max(incident.window_end_at, ticket.created_at)
    # New lists: JSONB columns change only when assigned.
    incident.streets, incident.houses = sorted(streets), sorted(houses)
    incident.departments = sorted(departments)


async def unlink(
    session: AsyncSession,
    incident: Incident,
    ticket_ids: Sequence[int],
    *,
    actor: str,
    now: datetime,
    keep_area: bool = False,
) -> int:
    """End the links of these tickets (they keep every answer they were sent). The area
    (streets and houses) is what the tickets still linked name, unless ``keep_area`` (a
    dismissed incident keeps the area it had, as history). The departments stay: they keep
    seeing the incident they worked on."""
    rows = await session.exec(
        select(IncidentTicket).where(
            IncidentTicket.incident_id == incident.id,
            col(IncidentTicket.ticket_id).in_(list(ticket_ids)),
            col(IncidentTicket.unlinked_at).is_(None),
        )
    )
    links = list(rows.all())
    for row in links:
        row.unlinked_at, row.unlinked_by = now, actor
    incident.ticket_count -= len(links)
    incident.updated_at = now
    incident.version += 1
    await session.flush()
    if links and not keep_area:
        streets: list[str] = []
        houses: list[str] = []
        _area(await linked_tickets(session, incident), streets, houses)
        incident.streets, incident.houses = sorted(streets), sorted(houses)
    return len(links)


async def linked_tickets(session: AsyncSession, incident: Incident) -> list[Ticket]:
    """The tickets linked now, by id."""
    rows = await session.exec(
        select(Ticket)
        .join(IncidentTicket, col(IncidentTicket.ticket_id) == col(Ticket.id))
        .where(IncidentTicket.incident_id == incident.id, col(IncidentTicket.unlinked_at).is_(None))
        .order_by(col(Ticket.id))
    )
    return list(rows.all())


async def latest_message(session: AsyncSession, incident: Incident) -> IncidentMessage | None:
    rows = await session.exec(
        select(IncidentMessage)
        .where(IncidentMessage.incident_id == incident.id)
        .order_by(col(IncidentMessage.id).desc())
        .limit(1)
    )
    return rows.first()
