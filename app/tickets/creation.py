"""Making new tickets from normalised drafts, one or a whole intake batch at a time.

Each draft is categorised, routed, placed and given its deadlines in Python; then the batch's
applicants are one multi-row ``INSERT`` and its tickets another (SQLAlchemy's insertmanyvalues
with ``RETURNING``), their timeline events rows of the batch's one ``INSERT``
(``app.tickets.events``), and their duplicates one candidate search for all
(``app.dedup.detection.check_new_tickets``). The outcome is what making them one by one gives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings, settings_of
from app.dedup.detection import check_new_tickets, place_for_comparison
from app.dedup.place_key import address_key
from app.directory import reference
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.common import Status
from app.models.drafts import TicketDraft
from app.models.rows import new_row
from app.models.tickets import Applicant, Ticket
from app.routing.rules import RoutingDecision
from app.routing.service import decide_for_draft
from app.sla.deadlines import apply_initial_deadlines, record_deadlines, work_calendar
from app.tickets.events import record_event
from app.tickets.numbers import next_ticket_number, reserve_ticket_numbers
from app.tickets.search_text import search_document

_YIELD_EVERY = 20  # tickets prepared between two turns of the event loop


@dataclass(frozen=True)
class NewTicket:
    """A draft to make into a ticket: who makes it, and the moment it is made."""

    draft: TicketDraft
    actor: str
    now: datetime


@dataclass
class _Made:
    new: NewTicket
    ticket: Ticket
    applicant: Applicant | None
    decision: RoutingDecision


async def create_from_draft(
    session: AsyncSession, draft: TicketDraft, *, actor: str, now: datetime
) -> Ticket:
    """Store a new ticket from a normalised draft: category, routing, deadlines, timeline."""
    return (await create_tickets(session, [NewTicket(draft, actor, now)]))[0]


async def create_tickets(session: AsyncSession, new: Sequence[NewTicket]) -> list[Ticket]:
    """Store new tickets, in order (their ids and numbers follow it)."""
    if not new:
        return []
    ref = await reference.current(session)
    settings = settings_of(session)
    await reserve_ticket_numbers(session, len(new))
    made = []
    for i, n in enumerate(new):
        if i and i % _YIELD_EVERY == 0:
            await asyncio.sleep(0)  # a big batch must not hold up this process's requests
        number = await next_ticket_number(session, created_at=n.draft.created_at or n.now)
        made.append(_prepare(ref, settings, n, number=number))
    applicants = [m.applicant for m in made if m.applicant is not None]
    if applicants:
        session.add_all(applicants)
        await session.flush()
    for m in made:
        if m.applicant is not None:
            m.ticket.applicant_id = m.applicant.id
    session.add_all([m.ticket for m in made])
    # Deadlines went in with the INSERT; the timeline events need the ids, so they follow.
    await session.flush()
    for m in made:
        _record_created(session, m)
    await metrics_store.increment_many(
        session,
        [
            (
                catalog.TICKETS_ROUTED,
                {"department": m.decision.department_code, "method": m.decision.method},
                1.0,
            )
            for m in made
        ],
    )
    await check_new_tickets(session, [(m.ticket, m.new.now) for m in made])
    return [m.ticket for m in made]


def _prepare(ref: reference.Reference, settings: Settings, new: NewTicket, *, number: str) -> _Made:
    draft, now = new.draft, new.now
    if draft.category_code:
        category = ref.require_category(draft.category_code)
    else:
        category = ref.resolve_category(draft.source, [draft.source_category])
    decision = decide_for_draft(
        ref, settings, category=category, explicit_department=draft.department_code, draft=draft
    )
    applicant = None
    if draft.applicant is not None and not draft.applicant.is_empty():
        applicant = new_row(Applicant, **vars(draft.applicant))
    created_at = draft.created_at or now
    status = draft.status or (Status.new if decision.is_triage else Status.routed)
    ticket = _ticket_row(
        draft,
        number=number,
        category_code=category.code,
        decision=decision,
        status=status,
        created_at=created_at,
        now=now,
    )
    apply_initial_deadlines(
        ticket,
        now=now,
        cal=work_calendar(settings),
        rules=list(ref.policies),
        fast_track=draft.fast_track,
        source_due=draft.source_due_at,
    )
    # An item first seen already answered or closed in its source (an export's old rows).
    when = draft.source_updated_at or now
    if status in (Status.answered, Status.closed):
        ticket.answered_at = when
    if status == Status.closed:
        ticket.closed_at = when
    place_for_comparison(ticket, ref)
    return _Made(new, ticket, applicant, decision)


def _record_created(session: AsyncSession, m: _Made) -> None:
    draft, ticket = m.new.draft, m.ticket
    record_event(
        session,
        ticket,
        actor=m.new.actor,
        type="created",
        source=draft.source,
        source_id=draft.source_id,
        status=ticket.status,
        category=ticket.category_code,
    )
    record_event(session, ticket, actor="system:routing", type="routed", **m.decision.event_data())
    record_deadlines(ticket, reason="created", now=m.new.now)


def _ticket_row(
    draft: TicketDraft,
    *,
    number: str,
    category_code: str,
    decision: RoutingDecision,
    status: str,
    created_at: datetime,
    now: datetime,
) -> Ticket:
    """The new ticket's columns: the draft's fields plus what category and routing decided."""
    return new_row(
        Ticket,
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
        attachments=draft.attachments,
        extra=draft.extra,
        department_code=decision.department_code,
        routed_at=now,
        received_at=now,
        created_at=created_at,
        updated_at=now,
    )
