"""Ticket creation, reading with department scoping, and editing with optimistic locking."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access import visibility
from app.access.api_keys import Principal
from app.config import settings_of
from app.dedup.detection import check_new_ticket
from app.dedup.place_key import address_key
from app.directory import reference
from app.directory import service as directory
from app.errors import Forbidden, NotFound, PreconditionFailed, PreconditionRequired
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.common import Role, Source, Status
from app.models.drafts import ApplicantDraft, TicketDraft
from app.models.schemas import TicketCreate, TicketUpdate
from app.models.tickets import Applicant, Ticket
from app.routing.rules import RoutingDecision
from app.routing.service import route_new_ticket
from app.sla.deadlines import apply_initial_deadlines, record_deadlines, work_calendar
from app.tickets.events import record_event
from app.tickets.search_text import refresh_search_text, search_document
from app.tickets.status import touch

_NUMBERS = "ticket_numbers"  # session.info: sequence values taken ahead for a batch


async def reserve_ticket_numbers(session: AsyncSession, count: int) -> None:
    """Take ``count`` sequence values in one round trip for the tickets this transaction is
    about to make (unused ones are gaps, as any rolled-back nextval is)."""
    if count <= 0:
        return
    rows = await session.exec(  # type: ignore[call-overload]
        text("SELECT nextval('ticket_number_seq') FROM generate_series(1, :n)"), params={"n": count}
    )
    session.info.setdefault(_NUMBERS, []).extend(sorted((r[0] for r in rows.all()), reverse=True))


async def next_ticket_number(session: AsyncSession, *, created_at: datetime) -> str:
    """The public number, e.g. ``SD-2026-000123`` (year in the city's time zone)."""
    settings = settings_of(session)
    reserved: list[int] = session.info.get(_NUMBERS) or []
    if reserved:
        seq = reserved.pop()
    else:
        seq = (await session.exec(text("SELECT nextval('ticket_number_seq')"))).one()[0]  # type: ignore[call-overload]
    year = created_at.astimezone(settings.tz).year
    return f"{settings.ticket_number_prefix}-{year}-{seq:06d}"


def _applicant_row(draft: ApplicantDraft) -> Applicant:
    return Applicant(**vars(draft))


async def create_from_draft(
    session: AsyncSession, draft: TicketDraft, *, actor: str, now: datetime
) -> Ticket:
    """Store a new ticket from a normalised draft: category, routing, deadlines, timeline."""
    ref = await reference.current(session)
    if draft.category_code:
        category = ref.require_category(draft.category_code)
    else:
        category = ref.resolve_category(draft.source, [draft.source_category])
    decision = await route_new_ticket(
        session, category=category, explicit_department=draft.department_code, draft=draft
    )
    applicant_id = await _store_applicant(session, draft.applicant)
    created_at = draft.created_at or now
    status = draft.status or (Status.new if decision.is_triage else Status.routed)
    ticket = _ticket_row(
        draft,
        number=await next_ticket_number(session, created_at=created_at),
        category_code=category.code,
        decision=decision,
        status=status,
        applicant_id=applicant_id,
        created_at=created_at,
        now=now,
    )
    # Deadlines go in with the INSERT; their timeline event needs the id, so it follows.
    apply_initial_deadlines(
        ticket,
        now=now,
        cal=work_calendar(settings_of(session)),
        rules=list(ref.policies),
        fast_track=draft.fast_track,
        source_due=draft.source_due_at,
    )
    session.add(ticket)
    await session.flush()
    record_event(
        session,
        ticket,
        actor=actor,
        type="created",
        source=draft.source,
        source_id=draft.source_id,
        status=status,
        category=category.code,
    )
    record_event(session, ticket, actor="system:routing", type="routed", **decision.event_data())
    await metrics_store.increment(
        session,
        catalog.TICKETS_ROUTED,
        {"department": decision.department_code, "method": decision.method},
    )
    record_deadlines(ticket, reason="created", now=now)
    await check_new_ticket(session, ticket, now=now)
    return ticket


async def _store_applicant(session: AsyncSession, draft: ApplicantDraft | None) -> int | None:
    """The applicant's row, when the draft names one; its id for the ticket."""
    if draft is None or draft.is_empty():
        return None
    applicant = _applicant_row(draft)
    session.add(applicant)
    await session.flush()
    return applicant.id


def _ticket_row(
    draft: TicketDraft,
    *,
    number: str,
    category_code: str,
    decision: RoutingDecision,
    status: str,
    applicant_id: int | None,
    created_at: datetime,
    now: datetime,
) -> Ticket:
    """The new ticket's columns: the draft's fields plus what category and routing decided."""
    return Ticket(
        number=number,
        source=draft.source,
        source_id=draft.source_id,
        source_url=draft.source_url,
        source_status=draft.source_status,
        source_updated_at=draft.source_updated_at,
        kind=draft.kind,
        channel=draft.channel,
        category_code=category_code,
        source_category=draft.source_category,
        text=draft.text,
        address=draft.address,
        lat=draft.lat,
        lon=draft.lon,
        district_code=draft.district_code or decision.district_code,
        address_key=address_key(draft.address),
        search_text=search_document(draft.text, draft.address),
        priority=draft.priority,
        status=status,
        status_reason=draft.status_reason,
        redirect_to=draft.redirect_to,
        applicant_id=applicant_id,
        attachments=draft.attachments,
        extra=draft.extra,
        department_code=decision.department_code,
        routed_at=now,
        received_at=now,
        created_at=created_at,
        updated_at=now,
    )


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
