"""What a department's work on a ticket sends back to the ticket's source (via the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.common import Source, Status
from app.models.outbox import OutboxKind, OutboxTarget
from app.models.tickets import Ticket, TicketAnswer
from app.outbox import service as outbox

# Sources that take answers back; staff-recorded tickets have no return channel here. The
# chat-bot's messages go to the Bot API (app/channels/chatbot_delivery.py resolves the chat).
ANSWERING_SOURCES = {
    Source.feedback_platform.value: OutboxTarget.feedback_platform,
    Source.incident_management.value: OutboxTarget.incident_management,
    Source.chatbot.value: OutboxTarget.telegram,
}

# Our statuses the source is told about, in the source's own vocabulary. ПОС codes are from
# DOMAIN.md; IM has no published status set, so these are the simulator's (an assumption).
# ``answered`` travels with the answer itself.
_SOURCE_STATUS: dict[str, dict[str, str]] = {
    Source.feedback_platform.value: {
        Status.in_progress.value: "TAKE_TO_WORK",
        Status.on_hold.value: "POSTPONE",
        Status.rejected.value: "MODERATION_DECLINE",
    },
    Source.incident_management.value: {
        Status.in_progress.value: "in_work",
        Status.rejected.value: "rejected",
    },
    # The chat-bot tells the citizen in words (chatbot_delivery); the codes are ours.
    Source.chatbot.value: {
        Status.in_progress.value: Status.in_progress.value,
        Status.on_hold.value: Status.on_hold.value,
        Status.rejected.value: Status.rejected.value,
        Status.closed.value: Status.closed.value,
    },
}


def source_status(ticket: Ticket, status: str) -> str | None:
    """The source's status code for ours, or None when the source need not hear of it."""
    code = _SOURCE_STATUS.get(ticket.source, {}).get(status)
    if code == "MODERATION_DECLINE" and ticket.redirect_to:
        code = "FORWARD_TO_PARENT"  # not ours: handed on to the body named in redirect_to
    return code


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
    target = ANSWERING_SOURCES.get(ticket.source)
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
        target=target.value,
        kind=kind.value,
        payload=payload,
        ticket=ticket,
        idempotency_id=f"answer-{answer.id}",
        answer=answer,
    )


async def on_status_change(
    session: AsyncSession, ticket: Ticket, *, before: str, now: datetime
) -> None:
    """Queue a status the source cares about (taken to work, postponed, rejected, forwarded)."""
    target = ANSWERING_SOURCES.get(ticket.source)
    code = source_status(ticket, ticket.status)
    if target is None or code is None or before == ticket.status:
        return
    payload = {
        **_base(ticket, now=now),
        "status": ticket.status,
        "source_status": code,
        "reason": ticket.status_reason,
        "redirect_to": ticket.redirect_to,
    }
    await outbox.enqueue(
        session,
        target=target.value,
        kind=OutboxKind.status.value,
        payload=payload,
        ticket=ticket,
        idempotency_id=f"status-{ticket.id}-{ticket.version}",
    )
