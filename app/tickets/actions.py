"""What staff do to a ticket: move it through the state machine, comment, answer, assign."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.dedup import detection as dedup
from app.errors import Forbidden, ValidationFailed
from app.models.common import Role, Status
from app.models.schemas import AnswerCreate, AssignmentRequest, TransitionRequest
from app.models.tickets import Ticket, TicketAnswer, TicketEvent
from app.outbox import answers_back
from app.sla import deadlines as sla
from app.sstu import questions as sstu_questions
from app.tickets.events import record_event
from app.tickets.lifecycle import check_transition, needs_reason
from app.tickets.service import check_version, get_visible_ticket
from app.tickets.status import change_status, touch

STAFF = (Role.operator, Role.manager, Role.admin)


def _require_staff(principal: Principal) -> None:
    if principal.role not in STAFF:
        raise Forbidden(f"role '{principal.role}' cannot work on tickets")


async def transition_ticket(
    session: AsyncSession,
    ticket_id: int,
    data: TransitionRequest,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Ticket:
    """Move a ticket along the state machine (409 with the allowed targets if illegal)."""
    _require_staff(principal)
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    if if_match is not None:
        check_version(ticket, if_match)
    target = data.to
    check_transition(Status(ticket.status), target)
    if needs_reason(Status(ticket.status), target) and not (data.reason or "").strip():
        raise ValidationFailed(f"moving to '{target}' needs a reason", field="reason")
    if target == Status.merged:
        if data.duplicate_of is None:
            raise ValidationFailed("merging needs duplicate_of", field="duplicate_of")
        main = await get_visible_ticket(session, data.duplicate_of, principal=principal)
        if main.id == ticket.id or main.status == Status.merged:
            raise ValidationFailed(
                "a ticket merges into another ticket that is not itself merged",
                field="duplicate_of",
            )
        ticket.duplicate_of_id = main.id
    await sstu_questions.require_outcome(session, ticket, target, now=now)
    before = change_status(
        session,
        ticket,
        target,
        actor=principal.actor,
        now=now,
        reason=data.reason,
        redirect_to=data.redirect_to,
        record_redirect=True,
        duplicate_of=ticket.duplicate_of_id,
    )
    await answers_back.on_status_change(session, ticket, before=before, now=now)
    return ticket


async def add_comment(
    session: AsyncSession, ticket_id: int, *, text: str, principal: Principal, now: datetime
) -> TicketEvent:
    """An internal note on the timeline; never sent to the citizen."""
    _require_staff(principal)
    ticket = await get_visible_ticket(session, ticket_id, principal=principal)
    event = record_event(session, ticket, actor=principal.actor, type="comment", text=text)
    assert event is not None  # only an intake batch buffers its events
    await session.flush()
    return event


async def add_answer(
    session: AsyncSession,
    ticket_id: int,
    data: AnswerCreate,
    *,
    principal: Principal,
    now: datetime,
) -> tuple[Ticket, TicketAnswer]:
    """Record an answer to the citizen; a final one moves the ticket to ``answered``."""
    _require_staff(principal)
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    answer = await answer_ticket(session, ticket, data, actor=principal.actor, now=now)
    return ticket, answer


async def answer_ticket(
    session: AsyncSession, ticket: Ticket, data: AnswerCreate, *, actor: str, now: datetime
) -> TicketAnswer:
    """The answer itself, on a ticket the caller has locked and may answer (also an incident's
    message fanned out to its tickets, app.incidents.fanout): the status, the first-response
    time, the timeline, the outbox to the source and the merged duplicates."""
    status = Status(ticket.status)
    if data.kind == "final":
        check_transition(status, Status.answered)
        await sstu_questions.require_outcome(session, ticket, Status.answered, now=now)
    elif status not in (Status.new, Status.routed, Status.in_progress, Status.on_hold):
        raise ValidationFailed(
            f"an interim answer is for open tickets; this one is '{status}'", field="kind"
        )
    assert ticket.id is not None
    answer = TicketAnswer(
        ticket_id=ticket.id,
        kind=data.kind,
        text=data.text,
        author=actor,
    )
    session.add(answer)
    if data.kind == "final":
        change_status(
            session,
            ticket,
            Status.answered,
            actor=actor,
            now=now,
            event_reason="final answer sent",
        )
    else:
        first = ticket.first_responded_at is None
        ticket.first_responded_at = ticket.first_responded_at or now
        if first:
            sla.on_first_response(ticket, now=now, interim=True)
        touch(ticket, now)
    await session.flush()
    record_event(
        session,
        ticket,
        actor=actor,
        type="answer",
        answer_id=answer.id,
        kind=data.kind,
    )
    await answers_back.on_answer(session, ticket, answer, now=now)
    await dedup.answer_merged(session, ticket, answer, now=now)
    return answer


async def assign_ticket(
    session: AsyncSession,
    ticket_id: int,
    data: AssignmentRequest,
    *,
    principal: Principal,
    now: datetime,
) -> Ticket:
    """Set or clear the person working on the ticket."""
    _require_staff(principal)
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    if ticket.assignee != data.assignee:
        record_event(
            session,
            ticket,
            actor=principal.actor,
            type="assigned",
            before=ticket.assignee,
            after=data.assignee,
        )
        ticket.assignee = data.assignee
        touch(ticket, now)
    return ticket


async def list_events(
    session: AsyncSession, ticket_id: int, *, principal: Principal
) -> list[TicketEvent]:
    """The whole timeline, oldest first."""
    ticket = await get_visible_ticket(session, ticket_id, principal=principal)
    rows = await session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(col(TicketEvent.id))
    )
    return list(rows.all())


async def list_answers(
    session: AsyncSession, ticket_id: int, *, principal: Principal
) -> list[TicketAnswer]:
    ticket = await get_visible_ticket(session, ticket_id, principal=principal)
    rows = await session.exec(
        select(TicketAnswer)
        .where(TicketAnswer.ticket_id == ticket.id)
        .order_by(col(TicketAnswer.id))
    )
    return list(rows.all())
