"""The one way an endpoint answers with a ticket: its public schema plus its `ETag`."""

from __future__ import annotations

from datetime import datetime

from fastapi import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access import visibility
from app.access.api_keys import Principal
from app.models.schemas import TicketPublic
from app.models.tickets import Ticket
from app.tickets import service as tickets
from app.tickets.presenters import linked_ids, ticket_public


async def present_ticket(
    session: AsyncSession, ticket: Ticket, principal: Principal, now: datetime, response: Response
) -> TicketPublic:
    """The ticket as the caller may see it (links only to tickets it sees), with the `ETag`
    for a later `If-Match`."""
    applicant = await tickets.load_applicant(session, ticket)
    response.headers["ETag"] = tickets.etag_for(ticket)
    seen = await visibility.seen_ids(session, principal, linked_ids([ticket]))
    return ticket_public(ticket, applicant, principal, now=now, links_seen=seen)
