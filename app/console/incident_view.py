"""What the console's incident pages show: the list (open ones first, suspected and info-risk
on top, then recently closed) and one incident's tickets and messages with each ticket's
delivery. Read through ``app.incidents.queries``, so the console sees what the API shows.

An incident's ticket list is shown whole to whoever sees the incident (numbers, sources, how
linked); a ticket's address and the link to its page only when the person sees the ticket
(``app.access.visibility``), as for related tickets on the ticket page."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.access.visibility import sees
from app.directory import service as directory
from app.incidents import queries
from app.models.incidents import (
    OPEN_INCIDENT_STATUSES,
    Incident,
    IncidentDelivery,
    IncidentTicket,
)
from app.models.tickets import Ticket, TicketAnswer
from app.reports import digest_incidents

OPEN = [s.value for s in OPEN_INCIDENT_STATUSES]
CLOSED = ["resolved", "dismissed"]
RECENT_CLOSED = 20


def _order(incident: Incident) -> tuple[int, int, float]:
    """Suspected first, then info-risk, then the latest activity."""
    return (
        0 if incident.status == "suspected" else 1,
        0 if incident.info_risk else 1,
        -incident.window_end_at.timestamp(),
    )


async def listing(
    session: AsyncSession, principal: Principal
) -> tuple[list[Incident], list[Incident]]:
    """Open incidents (suspected and info-risk first) and the most recent closed ones."""
    open_ = await queries.list_incidents(session, principal=principal, status=OPEN, limit=200)
    closed = await queries.list_incidents(
        session, principal=principal, status=CLOSED, limit=RECENT_CLOSED
    )
    return sorted(open_, key=_order), closed


async def addresses(session: AsyncSession, incidents: Sequence[Incident]) -> dict[int, list[str]]:
    """The addresses of each incident's linked tickets (for its streets as written)."""
    ids = [i.id for i in incidents if i.id is not None]
    if not ids:
        return {}
    rows = await session.exec(
        select(IncidentTicket.incident_id, Ticket.address)
        .join(Ticket, col(Ticket.id) == col(IncidentTicket.ticket_id))
        .where(
            col(IncidentTicket.incident_id).in_(ids),
            col(IncidentTicket.unlinked_at).is_(None),
            col(Ticket.address).is_not(None),
        )
    )
    found: dict[int, list[str]] = {}
    for incident_id, address in rows.all():
        found.setdefault(incident_id, []).append(address or "")
    return found


async def place_names(session: AsyncSession) -> tuple[dict[str, str], dict[str, str]]:
    """District and category names by code."""
    districts = {d.code: d.name for d in await directory.list_districts(session)}
    categories = {c.code: c.name for c in await directory.list_categories(session)}
    return districts, categories


def area(incident: Incident, districts: dict[str, str], addresses: Sequence[str] = ()) -> str:
    """The district and the streets its tickets named (never a house or a flat); with the
    tickets' ``addresses`` the streets as written («ул. Ленина»), else by their keys."""
    district = districts.get(incident.district_code or "", incident.district_code)
    return digest_incidents.area(district, incident.streets, addresses)


@dataclass(frozen=True)
class TicketRow:
    id: int
    number: str
    source: str
    status: str
    address: str | None  # only when the person sees the ticket
    openable: bool
    linked_by: str
    linked_at: datetime
    unlinked_at: datetime | None


# Why a message skipped a ticket, in Russian (incident_deliveries.detail holds the English
# refusal of the ticket answer), first match wins.
SKIPPED = (
    ("outside the incident", "дубликат обращения вне инцидента: ответит его отдел"),
    ("sstu|outcome", "обращение по 59-ФЗ: нет итога рассмотрения для ССТУ.РФ"),
    ("answered|closed|rejected|status|transition", "обращение уже закрыто или с ответом"),
)


def skipped_reason(detail: str | None) -> str:
    text = (detail or "").lower()
    return next((ru for key, ru in SKIPPED if re.search(key, text)), "обращение не приняло ответ")


@dataclass(frozen=True)
class Delivery:
    number: str
    ticket_id: int
    openable: bool
    outcome: str
    detail: str | None
    answer_status: str | None  # the ticket answer's way back to the source


@dataclass(frozen=True)
class MessageRow:
    id: int
    kind: str
    text: str
    author: str
    created_at: datetime
    outcomes: dict[str, int]
    deliveries: list[Delivery]


def _openable(principal: Principal, ticket: Ticket) -> bool:
    return sees(principal, ticket.department_code)


async def ticket_rows(
    session: AsyncSession, incident: Incident, principal: Principal
) -> list[TicketRow]:
    rows = []
    for r in await queries.ticket_links(session, incident):
        openable = _openable(principal, r.ticket)
        rows.append(
            TicketRow(
                id=r.ticket.id or 0,
                number=r.ticket.number,
                source=r.ticket.source,
                status=r.ticket.status,
                address=r.ticket.address if openable else None,
                openable=openable,
                linked_by=r.link.linked_by,
                linked_at=r.link.linked_at,
                unlinked_at=r.link.unlinked_at,
            )
        )
    return rows


async def message_rows(
    session: AsyncSession, incident: Incident, principal: Principal
) -> list[MessageRow]:
    """The messages, oldest first, each with what it did for every ticket."""
    found = (
        await session.exec(
            select(IncidentDelivery, Ticket, TicketAnswer.delivery_status)  # type: ignore[call-overload]
            .join(Ticket, col(Ticket.id) == col(IncidentDelivery.ticket_id))
            .outerjoin(TicketAnswer, col(TicketAnswer.id) == col(IncidentDelivery.answer_id))
            .where(IncidentDelivery.incident_id == incident.id)
            .order_by(col(IncidentDelivery.message_id), col(Ticket.id))
        )
    ).all()
    by_message: dict[int, list[Delivery]] = {}
    for delivery, ticket, answer_status in found:
        by_message.setdefault(delivery.message_id, []).append(
            Delivery(
                number=ticket.number,
                ticket_id=ticket.id or 0,
                openable=_openable(principal, ticket),
                outcome=delivery.outcome,
                detail=skipped_reason(delivery.detail) if delivery.outcome == "skipped" else None,
                answer_status=answer_status,
            )
        )
    return [
        MessageRow(
            id=s.message.id or 0,
            kind=s.message.kind,
            text=s.message.text,
            author=s.message.author,
            created_at=s.message.created_at,
            outcomes=s.outcomes,
            deliveries=by_message.get(s.message.id or 0, []),
        )
        for s in await queries.messages(session, incident)
    ]


async def incident_of_ticket(
    session: AsyncSession, ticket: Ticket, principal: Principal
) -> Incident | None:
    """The incident the ticket is linked to now, when the person may see it (ticket page)."""
    row = (
        await session.exec(
            select(Incident)
            .join(IncidentTicket, col(IncidentTicket.incident_id) == col(Incident.id))
            .where(IncidentTicket.ticket_id == ticket.id, col(IncidentTicket.unlinked_at).is_(None))
        )
    ).first()
    if row is None or not await queries.sees(session, principal, row):
        return None
    return row
