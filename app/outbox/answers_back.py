"""What a department's work on a ticket sends back to the ticket's source (via the outbox).

Which sources are told back, under which outbox target and in which status codes, is the
connectors' business (``app.connectors.registry``); this module only queues the messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.connectors.registry import outbound_adapter
from app.models.outbox import OutboxKind
from app.models.tickets import Ticket, TicketAnswer
from app.outbox import service as outbox


def answer_target(source: str) -> str | None:
    """The outbox target of a source's answers, or None when it has no channel back (staff-
    recorded tickets, Open311: there the operator or the citizen's client does the telling)."""
    adapter = outbound_adapter(source)
    return adapter.target if adapter is not None else None


def source_status(ticket: Ticket, status: str) -> str | None:
    """The source's status code for ours, or None when the source need not hear of it."""
    adapter = outbound_adapter(ticket.source)
    if adapter is None:
        return None
    return adapter.source_status(status, redirect_to=ticket.redirect_to)


def _base(ticket: Ticket, *, now: datetime) -> dict[str, Any]:
    return {
        "ticket_number": ticket.number,
        "source": ticket.source,
        "source_id": ticket.source_id,
        "source_url": ticket.source_url,
        "at": now.isoformat(),
    }


async def on_answer(
    session: AsyncSession, ticket: Ticket, answer: TicketAnswer, *, now: datetime
) -> None:
    """Queue an answer (interim or final) for the source, in the caller's transaction."""
    target = answer_target(ticket.source)
    if target is None:
        return
    kind = OutboxKind.answer if answer.kind == "final" else OutboxKind.interim_answer
    payload = {
        **_base(ticket, now=now),
        "answer_id": answer.id,
        "answer_kind": answer.kind,
        "text": answer.text,
    }
    await outbox.enqueue(
        session,
        target=target,
        kind=kind.value,
        payload=payload,
        ticket=ticket,
        idempotency_id=f"answer-{answer.id}",
        answer=answer,
    )


def status_message(ticket: Ticket, *, before: str, now: datetime) -> dict[str, Any] | None:
    """The outbox row telling the source of a status it cares about (taken to work,
    postponed, rejected, forwarded), or None when it need not hear of this one."""
    target = answer_target(ticket.source)
    code = source_status(ticket, ticket.status)
    if target is None or code is None or before == ticket.status:
        return None
    payload = {
        **_base(ticket, now=now),
        "status": ticket.status,
        "source_status": code,
        "reason": ticket.status_reason,
        "redirect_to": ticket.redirect_to,
    }
    return outbox.message(
        target=target,
        kind=OutboxKind.status.value,
        payload=payload,
        ticket=ticket,
        idempotency_id=f"status-{ticket.id}-{ticket.version}",
    )


async def on_status_change(
    session: AsyncSession, ticket: Ticket, *, before: str, now: datetime
) -> None:
    """Queue a status the source cares about (``status_message``)."""
    values = status_message(ticket, before=before, now=now)
    if values is not None:
        await outbox.enqueue_many(session, [values])
