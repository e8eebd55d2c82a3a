"""The outbox: enqueue in the caller's transaction; claim, settle and replay for the relay."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, NotFound
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.outbox import OutboxMessage, OutboxState
from app.models.pagination import decode_cursor, encode_cursor
from app.models.tickets import Ticket, TicketAnswer
from app.outbox.policy import Outcome
from app.tickets.events import record_event

RELAY_ACTOR = "system:outbox"

# What TicketAnswer.delivery_status shows while the outbox works on the answer.
ANSWER_STATUS = {
    OutboxState.pending: "queued",
    Outcome.retry: "retrying",
    Outcome.sent: "delivered",
    Outcome.dead: "failed",
}


def message(
    *,
    target: str,
    kind: str,
    payload: dict[str, Any],
    ticket: Ticket | None = None,
    idempotency_id: str | None = None,
    answer: TicketAnswer | None = None,
) -> dict[str, Any]:
    """The row of one message to send (``enqueue`` stores it)."""
    message_id = idempotency_id or f"msg_{uuid.uuid4().hex}"
    department = ticket.department_code if ticket is not None else payload.get("department")
    if ticket is not None:
        # The relay addresses source messages by the item's id: make sure it is there.
        payload = {
            "ticket_number": ticket.number,
            "source_id": ticket.source_id,
            "source_url": ticket.source_url,
            **payload,
        }
    return {
        "idempotency_id": message_id,
        "target": target,
        "kind": kind,
        "ticket_id": ticket.id if ticket is not None else None,
        "answer_id": answer.id if answer is not None else None,
        "department_code": department,
        "payload": payload,
        "state": OutboxState.pending.value,
        "attempts": 0,
    }


async def enqueue(
    session: AsyncSession,
    *,
    target: str,
    kind: str,
    payload: dict[str, Any],
    ticket: Ticket | None = None,
    idempotency_id: str | None = None,
    answer: TicketAnswer | None = None,
) -> OutboxMessage:
    """Store a message to send in the caller's transaction; the same idempotency id is one row."""
    values = message(
        target=target,
        kind=kind,
        payload=payload,
        ticket=ticket,
        idempotency_id=idempotency_id,
        answer=answer,
    )
    stmt = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_id"])
        .returning(OutboxMessage)
    )
    # One round trip when the message is new; the one already queued under the id otherwise.
    row = (await session.execute(stmt)).scalars().first()
    if row is None:
        row = (
            await session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.idempotency_id == values["idempotency_id"]
                )
            )
        ).one()
    if answer is not None:
        answer.delivery_status = ANSWER_STATUS[OutboxState.pending]
    await metrics_store.increment(
        session, catalog.OUTBOX_ENQUEUED, {"target": target, "kind": kind}
    )
    return row


async def enqueue_many(session: AsyncSession, messages: list[dict[str, Any]]) -> None:
    """Store ``message`` rows that need nothing back (no answer's delivery status, no row) in
    one statement, in their order; an id already queued stays the one row, as in ``enqueue``."""
    if not messages:
        return
    await session.execute(
        insert(OutboxMessage)
        .values(messages)
        .on_conflict_do_nothing(index_elements=["idempotency_id"])
    )
    await metrics_store.increment_many(
        session,
        [
            (catalog.OUTBOX_ENQUEUED, {"target": m["target"], "kind": m["kind"]}, 1.0)
            for m in messages
        ],
    )


# One ticket's messages to one target go in the order they were queued: a message waits while
# an earlier one of its ticket and target is still pending (due, or retrying later) or being
# sent. A dead earlier message holds nothing back — it waits for an operator, the chat should
# not — and a replayed one is sent when it comes due, after what went out meanwhile.
_CLAIM = text(
    "UPDATE outbox_messages SET state = 'sending', attempts = attempts + 1, "
    "locked_until = :lease, updated_at = :now "
    "WHERE id IN (SELECT m.id FROM outbox_messages m "
    "  WHERE ((m.state = 'pending' AND m.next_attempt_at <= :now) "
    "     OR (m.state = 'sending' AND m.locked_until <= :now)) "
    "    AND NOT EXISTS (SELECT 1 FROM outbox_messages e "
    "      WHERE e.ticket_id = m.ticket_id AND e.target = m.target AND e.id < m.id "
    "        AND e.state IN ('pending', 'sending')) "
    "  ORDER BY m.next_attempt_at, m.id LIMIT :limit FOR UPDATE OF m SKIP LOCKED) "
    "RETURNING id"
)


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease_seconds: float
) -> list[OutboxMessage]:
    """Take due messages for this relay (SKIP LOCKED: relays never take the same row).

    A claim lasts ``lease_seconds``; a message whose relay died mid-delivery becomes due again
    when the lease runs out, and is sent again with the same id (the receiver deduplicates).
    """
    lease = now + timedelta(seconds=lease_seconds)
    result = await session.exec(  # type: ignore[call-overload]
        _CLAIM, params={"now": now, "lease": lease, "limit": limit}
    )
    ids = [r[0] for r in result.all()]
    if not ids:
        return []
    rows = await session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids))
        .order_by(col(OutboxMessage.id))
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


@dataclass(frozen=True)
class AttemptResult:
    outcome: Outcome
    reason: str
    status_code: int | None = None
    delay_seconds: float = 0.0
    detail: str | None = None


async def settle_attempt(
    session: AsyncSession, message_id: int, attempt: int, result: AttemptResult, *, now: datetime
) -> OutboxMessage | None:
    """Record one attempt's outcome on the row, the ticket timeline, the answer and metrics.

    Fenced on ``attempt``: when this relay's claim ran out and another relay took the message,
    this late result changes nothing (returns None).
    """
    message = (
        await session.exec(
            select(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.state == OutboxState.sending.value,
                OutboxMessage.attempts == attempt,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if message is None:
        return None
    next_at = _apply_outcome(message, result, now=now)
    await _mark_answer(session, message, ANSWER_STATUS[result.outcome])
    await _record_attempt(session, message, attempt, result, next_at=next_at)
    await metrics_store.increment(
        session,
        catalog.OUTBOX_DELIVERIES,
        {"target": message.target, "outcome": result.outcome.value},
    )
    await session.flush()
    return message


def _apply_outcome(
    message: OutboxMessage, result: AttemptResult, *, now: datetime
) -> datetime | None:
    """Sent, back to pending for a retry, or dead; returns when the retry is due."""
    message.last_status_code = result.status_code
    message.locked_until = None
    message.updated_at = now
    next_at = None
    if result.outcome == Outcome.sent:
        message.state = OutboxState.sent.value
        message.sent_at = now
        message.last_error = None
    elif result.outcome == Outcome.retry:
        message.state = OutboxState.pending.value
        next_at = now + timedelta(seconds=result.delay_seconds)
        message.next_attempt_at = next_at
        message.last_error = result.detail or result.reason
    else:
        message.state = OutboxState.dead.value
        message.last_error = result.detail or result.reason
    return next_at


async def _record_attempt(
    session: AsyncSession,
    message: OutboxMessage,
    attempt: int,
    result: AttemptResult,
    *,
    next_at: datetime | None,
) -> None:
    """The attempt on the ticket's timeline, when the message belongs to a ticket."""
    if message.ticket_id is None:
        return
    ticket = await session.get(Ticket, message.ticket_id)
    if ticket is None:
        return
    record_event(
        session,
        ticket,
        actor=RELAY_ACTOR,
        type="delivery_attempt",
        message_id=message.idempotency_id,
        target=message.target,
        kind=message.kind,
        answer_id=message.answer_id,
        attempt=attempt,
        outcome=result.outcome.value,
        reason=result.reason,
        status_code=result.status_code,
        next_attempt_at=next_at,
    )


async def _mark_answer(session: AsyncSession, message: OutboxMessage, status: str) -> None:
    if message.answer_id is None:
        return
    answer = await session.get(TicketAnswer, message.answer_id)
    if answer is not None:
        answer.delivery_status = status


async def department_webhook_url(session: AsyncSession, department_code: str | None) -> str | None:
    """Where a department wants its notifications (``departments.webhook_url``)."""
    found = await department_webhook_urls(session, {department_code})
    return found.get(department_code)


_WEBHOOK_URLS = text(
    "SELECT code, webhook_url FROM departments "
    "WHERE code = ANY(:codes) AND active AND webhook_url IS NOT NULL"
)


async def department_webhook_urls(
    session: AsyncSession, codes: set[str | None]
) -> dict[str | None, str]:
    """``department_webhook_url`` of several departments in one statement (those with one)."""
    wanted = sorted(code for code in codes if code is not None)
    if not wanted:
        return {}
    found = await session.exec(_WEBHOOK_URLS, params={"codes": wanted})  # type: ignore[call-overload]
    return dict(found.all())


async def get_message(session: AsyncSession, message_id: int) -> OutboxMessage:
    message = await session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"outbox message {message_id} does not exist")
    return message


async def list_messages(
    session: AsyncSession,
    *,
    state: str | None,
    target: str | None,
    ticket_id: int | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[OutboxMessage], str | None]:
    """Messages newest first, filtered; opaque cursor pagination."""
    query = select(OutboxMessage)
    if state:
        query = query.where(OutboxMessage.state == state)
    if target:
        query = query.where(OutboxMessage.target == target)
    if ticket_id is not None:
        query = query.where(OutboxMessage.ticket_id == ticket_id)
    if cursor:
        (last_id,) = decode_cursor(cursor, size=1)
        query = query.where(col(OutboxMessage.id) < int(last_id))
    rows = list(
        (await session.exec(query.order_by(col(OutboxMessage.id).desc()).limit(limit + 1))).all()
    )
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def replay(
    session: AsyncSession, message_id: int, *, actor: str, now: datetime
) -> OutboxMessage:
    """Send a dead message again with a fresh attempt budget and the same idempotency id."""
    message = await session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(f"outbox message {message_id} does not exist")
    if message.state != OutboxState.dead.value:
        raise Conflict(
            f"only dead messages are replayed; this one is '{message.state}'",
            state=message.state,
        )
    message.state = OutboxState.pending.value
    message.attempts = 0
    message.next_attempt_at = now
    message.locked_until = None
    message.updated_at = now
    await _mark_answer(session, message, ANSWER_STATUS[OutboxState.pending])
    if message.ticket_id is not None:
        ticket = await session.get(Ticket, message.ticket_id)
        if ticket is not None:
            record_event(
                session,
                ticket,
                actor=actor,
                type="delivery_replayed",
                message_id=message.idempotency_id,
                target=message.target,
                kind=message.kind,
            )
    await metrics_store.increment(session, catalog.OUTBOX_REPLAYS, {"target": message.target})
    await session.flush()
    return message


async def backlog(session: AsyncSession, *, now: datetime) -> list[tuple[str, str, int, float]]:
    """(target, state, count, oldest age in seconds) for unsent messages: backlog gauges."""
    rows = await session.exec(  # type: ignore[call-overload]
        text(
            "SELECT target, state, count(*), "
            "COALESCE(EXTRACT(EPOCH FROM (:now - min(created_at))), 0) "
            "FROM outbox_messages WHERE state IN ('pending', 'sending', 'dead') "
            "GROUP BY target, state ORDER BY target, state"
        ),
        params={"now": now},
    )
    return [(r[0], r[1], int(r[2]), max(0.0, float(r[3]))) for r in rows.all()]
