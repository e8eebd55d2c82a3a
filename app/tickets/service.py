"""Ticket creation, reading with department scoping, and editing with optimistic locking."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.access import visibility
from app.access.api_keys import Principal
from app.directory import reference
from app.directory import service as directory
from app.errors import Forbidden, NotFound, PreconditionFailed, PreconditionRequired
from app.models.common import Role, Source
from app.models.drafts import ApplicantDraft, TicketDraft
from app.models.schemas import TicketCreate, TicketUpdate
from app.models.tickets import Applicant, Ticket
from app.tickets.creation import create_from_draft
from app.tickets.events import record_event
from app.tickets.search_text import refresh_search_text
from app.tickets.status import touch


async def create_manual_ticket(
    session: AsyncSession, data: TicketCreate, *, principal: Principal, now: datetime
) -> Ticket:
    """A ticket recorded by staff (a phone call, a visit): source ``api``."""
    if principal.role == Role.integration:
        raise Forbidden("integration keys cannot record tickets by hand")
    department = data.department
    if (
        department is not None
        and not principal.sees_all_departments
        and department != principal.department_code
    ):
        raise Forbidden("only admins may record a ticket for another department")
    if department is not None:
        await directory.get_department(session, department)
    elif not principal.sees_all_departments:
        department = principal.department_code
    if data.district is not None:
        await directory.require_district(session, data.district)
    applicant = None
    if data.applicant is not None:
        applicant = ApplicantDraft(**data.applicant.model_dump())
    draft = TicketDraft(
        source=Source.api,
        source_id=str(uuid.uuid4()),
        kind=data.kind,
        channel=data.channel,
        text=data.text,
        category_code=data.category,
        address=data.address,
        lat=data.lat,
        lon=data.lon,
        district_code=data.district,
        priority=data.priority,
        department_code=department,
        applicant=applicant,
    )
    return await create_from_draft(session, draft, actor=principal.actor, now=now)


async def get_visible_ticket(
    session: AsyncSession, ticket_id: int, *, principal: Principal, for_update: bool = False
) -> Ticket:
    """The ticket if the principal may see it; another department's ticket is 'not found'."""
    if principal.role == Role.integration:
        raise Forbidden("integration keys cannot read tickets")
    ticket = await session.get(Ticket, ticket_id, with_for_update=for_update)
    if ticket is None or not visibility.sees(principal, ticket.department_code):
        raise NotFound(f"ticket {ticket_id} does not exist")
    return ticket


async def load_applicant(session: AsyncSession, ticket: Ticket) -> Applicant | None:
    if ticket.applicant_id is None:
        return None
    return await session.get(Applicant, ticket.applicant_id)


def check_version(ticket: Ticket, if_match: str | None) -> None:
    """Optimistic locking through ``If-Match``: missing → 428, stale → 412."""
    if not if_match:
        raise PreconditionRequired("send If-Match with the ETag from your last read")
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in wanted and etag_for(ticket) not in wanted:
        raise PreconditionFailed(
            "the ticket changed since you read it; read it again and retry",
            current_version=ticket.version,
        )


def etag_for(ticket: Ticket) -> str:
    assert ticket.id is not None
    return etag(ticket.id, ticket.version)


def etag(ticket_id: int, version: int) -> str:
    """The ``ETag`` of a ticket's version (every write bumps the version)."""
    return f'"{ticket_id}-{version}"'


async def update_ticket(
    session: AsyncSession,
    ticket_id: int,
    data: TicketUpdate,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Ticket:
    """Change editable fields; every change lands on the timeline with before/after."""
    if principal.role not in (Role.operator, Role.manager, Role.admin):
        raise Forbidden("this role cannot edit tickets")
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    check_version(ticket, if_match)
    changes = data.model_dump(exclude_unset=True)
    if "category" in changes and changes["category"] is not None:
        (await reference.current(session)).require_category(changes["category"])
    if changes.get("district") is not None:
        await directory.require_district(session, changes["district"])
    columns = {"category": "category_code", "district": "district_code"}
    diff: dict[str, dict[str, object]] = {}
    for field_name, value in changes.items():
        if field_name == "category" and value is None:
            continue
        column = columns.get(field_name, field_name)
        before = getattr(ticket, column)
        if before != value:
            diff[field_name] = {"before": before, "after": value}
            setattr(ticket, column, value)
    if diff:
        if "address" in diff:
            refresh_search_text(ticket)
        touch(ticket, now)
        record_event(session, ticket, actor=principal.actor, type="updated", changes=diff)
    return ticket
