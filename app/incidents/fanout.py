"""One answer for all: an incident's message goes to every linked ticket, exactly once each.

Each ticket gets an ordinary ticket answer (``app.tickets.actions.answer_ticket``): the same
status change, first-response time and SLA bookkeeping as an operator's answer, and the same
outbox row to the ticket's own source (ПОС answer, IM reply, chat-bot message; Open311 reads
it from the ticket) with the answer's idempotency id. ``incident_deliveries`` (primary key
message × ticket) is written first, ``ON CONFLICT DO NOTHING``: a second publish pass, a
retried request or a ticket linked again later finds its row and sends nothing.

The fan-out runs in the message's own transaction, not in a queue: an incident holds tens to
a few hundred tickets, each costs a handful of inserts, so the operator sees "sent to N" when
the request returns, all or nothing (tests/integration/test_incident_fanout.py: 60 tickets
in about 0.5 s on the 2-core CI machine; a 2 000-ticket incident would want a queue). Each
ticket runs in a savepoint, so one that cannot take the answer (already answered, a 59-ФЗ
appeal still missing its ССТУ outcome) is recorded as ``skipped`` without failing the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import AppError
from app.models.common import Status
from app.models.incidents import Incident, IncidentMessage
from app.models.schemas import AnswerCreate
from app.models.tickets import Ticket
from app.tickets.actions import answer_ticket

_CLAIM = text(
    "INSERT INTO incident_deliveries "
    "(message_id, ticket_id, incident_id, outcome, created_at) "
    "VALUES (:message, :ticket, :incident, 'pending', :now) "
    "ON CONFLICT (message_id, ticket_id) DO NOTHING RETURNING ticket_id"
)
_OUTCOME = text(
    "UPDATE incident_deliveries SET outcome = :outcome, answer_id = :answer, detail = :detail "
    "WHERE message_id = :message AND ticket_id = :ticket"
)


async def deliver(
    session: AsyncSession,
    incident: Incident,
    message: IncidentMessage,
    tickets: Sequence[Ticket],
    *,
    actor: str,
    now: datetime,
) -> dict[str, int]:
    """Send ``message`` to those of ``tickets`` that have not had it; counts by outcome.

    The caller holds the incident's row lock, so one incident's fan-outs never interleave.
    Tickets are locked in id order (the order every writer of tickets uses in bulk).
    """
    counts = {"answered": 0, "via_main": 0, "skipped": 0}
    linked = {t.id for t in tickets}
    for ticket in sorted(tickets, key=lambda t: t.id or 0):
        claimed = await session.exec(  # type: ignore[call-overload]
            _CLAIM,
            params={
                "message": message.id,
                "ticket": ticket.id,
                "incident": incident.id,
                "now": now,
            },
        )
        if claimed.first() is None:
            continue  # this ticket has had this message
        outcome, answer_id, detail = await _answer_one(
            session, ticket, message, linked, actor=actor, now=now
        )
        counts[outcome] += 1
        await session.exec(  # type: ignore[call-overload]
            _OUTCOME,
            params={
                "outcome": outcome,
                "answer": answer_id,
                "detail": detail,
                "message": message.id,
                "ticket": ticket.id,
            },
        )
    return counts


async def _answer_one(
    session: AsyncSession,
    ticket: Ticket,
    message: IncidentMessage,
    linked: set[int | None],
    *,
    actor: str,
    now: datetime,
) -> tuple[str, int | None, str | None]:
    await session.refresh(ticket, with_for_update=True)
    if ticket.status == Status.merged:
        # A duplicate hears through its main ticket (app.dedup answer_merged) when the main is
        # in the incident too; otherwise its main's department answers it.
        if ticket.duplicate_of_id in linked:
            return "via_main", None, None
        return "skipped", None, "merged into a ticket outside the incident"
    data = AnswerCreate(kind=message.kind, text=message.text)  # type: ignore[arg-type]
    try:
        async with session.begin_nested():
            answer = await answer_ticket(session, ticket, data, actor=actor, now=now)
    except AppError as error:
        await session.refresh(ticket)
        return "skipped", None, error.detail[:300]
    return "answered", answer.id, None
