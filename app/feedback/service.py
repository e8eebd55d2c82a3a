"""The citizen's rating of an answer: stored once per answer, counted, and acted upon.

Every source's signal lands here through ``record_feedback``: ПОС «Оценка ответа заявителем»
(1–5), IM «Причина закрытия» (Автор доволен / нейтрален / недоволен), the chat-bot's
«Проблема решена?» and an operator's note. A low rating reopens the ticket and tells the
department.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.config import settings_of
from app.errors import Forbidden, ValidationFailed
from app.metrics import catalog, rated_answers
from app.metrics import store as metrics_store
from app.models.common import Role, Status
from app.models.drafts import FeedbackDraft
from app.models.feedback import FeedbackCreate, Sentiment, TicketFeedback
from app.models.outbox import OutboxTarget
from app.models.tickets import Ticket, TicketAnswer
from app.outbox import answers_back
from app.outbox import service as outbox
from app.tickets.events import record_event
from app.tickets.service import get_visible_ticket
from app.tickets.status import change_status

REOPENABLE = (Status.answered.value, Status.closed.value)


def sentiment_of_score(score: int) -> Sentiment:
    """1–2 negative, 3 neutral, 4–5 positive."""
    if not 1 <= score <= 5:
        raise ValidationFailed("a score is 1 to 5", field="score")
    return (
        Sentiment.negative
        if score <= 2
        else Sentiment.neutral
        if score == 3
        else Sentiment.positive
    )


def should_reopen(score: int | None, sentiment: Sentiment, threshold: int) -> bool:
    """A score at or below the threshold; without a score, a negative reaction."""
    if score is not None:
        return score <= threshold
    return sentiment == Sentiment.negative


async def _latest_answer(session: AsyncSession, ticket: Ticket) -> TicketAnswer | None:
    stmt = (
        select(TicketAnswer)
        .where(TicketAnswer.ticket_id == ticket.id)
        .order_by(col(TicketAnswer.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def record_feedback(
    session: AsyncSession,
    ticket: Ticket,
    *,
    source_value: str,
    score: int | None,
    sentiment: Sentiment | str,
    now: datetime,
    actor: str,
    source: str | None = None,
    threshold: int | None = None,
    first: bool = False,
) -> TicketFeedback:
    """Store the rating of the ticket's latest answer (once); reopen and notify when low.
    ``first``: the ticket is known to have no rating yet (made in this transaction)."""
    sentiment = Sentiment(sentiment)
    if score is not None:
        sentiment_of_score(score)  # validates the range
    if threshold is None:
        threshold = settings_of(session).reopen_rating_threshold
    row, changed = await _store_row(
        session,
        ticket,
        value=source_value.strip()[:200],
        score=score,
        sentiment=sentiment,
        source=source or ticket.source,
        actor=actor,
        now=now,
        first=first,
    )
    if not changed:
        return row  # the same signal again (a re-sent webhook, a second import)
    await session.flush()
    reopen = note_rating(session, ticket, row, actor=actor, threshold=threshold)
    if reopen:
        await _reopen(session, ticket, row, actor=actor, now=now)
    if reopen or sentiment == Sentiment.negative:
        await _notify_department(session, ticket, row, reopened=reopen, now=now)
    await session.flush()
    return row


def note_rating(
    session: AsyncSession, ticket: Ticket, row: TicketFeedback, *, actor: str, threshold: int
) -> bool:
    """The stored rating's timeline event; whether it reopens the ticket (a low rating of an
    answered or closed one)."""
    sentiment = Sentiment(row.sentiment)
    reopen = should_reopen(row.score, sentiment, threshold) and ticket.status in REOPENABLE
    record_event(
        session,
        ticket,
        actor=actor,
        type="feedback",
        feedback_id=row.id,
        source=row.source,
        source_value=row.source_value,
        sentiment=row.sentiment,
        score=row.score,
        reopen=reopen,
    )
    return reopen


async def _store_row(
    session: AsyncSession,
    ticket: Ticket,
    *,
    value: str,
    score: int | None,
    sentiment: Sentiment,
    source: str,
    actor: str,
    now: datetime,
    first: bool = False,
) -> tuple[TicketFeedback, bool]:
    """The one row per answer, created or updated (locked); False when it already said this."""
    assert ticket.id is not None
    answer = await _latest_answer(session, ticket)
    answer_id = answer.id if answer is not None else None
    row = None
    if not first:
        row = (
            await session.exec(
                select(TicketFeedback)
                .where(
                    TicketFeedback.ticket_id == ticket.id,
                    TicketFeedback.answer_key == (answer_id or 0),
                )
                .with_for_update()
            )
        ).first()
    if row is not None:
        if (row.source_value, row.score, row.sentiment) == (value, score, sentiment.value):
            return row, False
        row.source_value, row.score, row.sentiment = value, score, sentiment.value
        row.updated_at = now
        return row, True
    await rated_answers.on_first_rating(session, ticket, known_unrated=first)
    row = new_rating(
        ticket,
        answer_id,
        value=value,
        score=score,
        sentiment=sentiment,
        source=source,
        actor=actor,
        now=now,
    )
    session.add(row)
    await metrics_store.increment(session, catalog.CITIZEN_FEEDBACK, rating_labels(row))
    return row, True


def new_rating(
    ticket: Ticket,
    answer_id: int | None,
    *,
    value: str,
    score: int | None,
    sentiment: Sentiment,
    source: str,
    actor: str,
    now: datetime,
) -> TicketFeedback:
    """The one rating row of an answer (None: the ticket's rating before any answer)."""
    assert ticket.id is not None
    return TicketFeedback(
        ticket_id=ticket.id,
        answer_id=answer_id,
        answer_key=answer_id or 0,
        source=source,
        source_value=value,
        sentiment=sentiment.value,
        score=score,
        department_code=ticket.department_code,
        actor=actor,
        created_at=now,
        updated_at=now,
    )


def rating_labels(row: TicketFeedback) -> dict[str, str]:
    """``appeals_citizen_feedback_total``'s labels for a new rating."""
    return {"source": row.source, "department": row.department_code, "sentiment": row.sentiment}


async def _reopen(
    session: AsyncSession, ticket: Ticket, row: TicketFeedback, *, actor: str, now: datetime
) -> None:
    message = reopen_ticket(session, ticket, row, actor=actor, now=now)
    if message is not None:
        await outbox.enqueue_many(session, [message])


def reopen_ticket(
    session: AsyncSession, ticket: Ticket, row: TicketFeedback, *, actor: str, now: datetime
) -> dict[str, Any] | None:
    """Back to work after a low rating; the outbox row telling the source of the status
    change (None: it need not hear). The reason is stored in Russian: the ticket page and the
    source show it as it is."""
    said = f"{row.score} из 5" if row.score is not None else f"«{row.source_value}»"
    reason = f"оценка гражданина: {said} — обращение возобновлено"
    before = change_status(session, ticket, Status.in_progress, actor=actor, now=now, reason=reason)
    row.reopened = True
    return answers_back.status_message(ticket, before=before, now=now)


async def _notify_department(
    session: AsyncSession, ticket: Ticket, row: TicketFeedback, *, reopened: bool, now: datetime
) -> None:
    """Tell the department's webhook about a low or negative rating; a department without a
    webhook is told nothing (the SLA sweeper's rule): the message would only dead-letter."""
    if not await outbox.department_webhook_url(session, ticket.department_code):
        return
    await outbox.enqueue_many(session, [notification(ticket, row, reopened=reopened, now=now)])


def notification(
    ticket: Ticket, row: TicketFeedback, *, reopened: bool, now: datetime
) -> dict[str, Any]:
    """The outbox row telling the department's webhook of a low or negative rating."""
    return outbox.message(
        target=OutboxTarget.department_webhook.value,
        kind="feedback",
        payload={
            "ticket_id": ticket.id,
            "ticket_number": ticket.number,
            "department": ticket.department_code,
            "source": row.source,
            "source_value": row.source_value,
            "sentiment": row.sentiment,
            "score": row.score,
            "reopened": reopened,
            "at": now.isoformat(),
        },
        ticket=ticket,
        idempotency_id=f"feedback-{row.id}-{ticket.version}",
    )


def source_signal(feedback: FeedbackDraft | None) -> tuple[int | None, Sentiment] | None:
    """The score (if any) and sentiment a source item's rating says; None: it says none."""
    if feedback is None:
        return None
    if feedback.score is not None:
        return feedback.score, sentiment_of_score(feedback.score)
    if feedback.sentiment is not None:
        return None, Sentiment(feedback.sentiment)
    return None


_SOURCE_LATEST = text(
    "SELECT source_value, score, sentiment FROM ticket_feedback "
    "WHERE ticket_id = :ticket AND source = :source ORDER BY updated_at DESC, id DESC LIMIT 1"
)


async def _source_stands(
    session: AsyncSession,
    ticket: Ticket,
    value: str,
    score: int | None,
    sentiment: Sentiment,
    *,
    older: bool,
) -> bool:
    """Whether the source's latest rating of this ticket stands against this one: it is the
    same (a source keeps showing the citizen's rating until the citizen rates again, so the same
    rating in a later snapshot — a re-sent webhook, the poller's re-read, an export imported
    again — is not a new rating of an answer given since and must not reopen the ticket once
    more), or this one comes from a snapshot older than the one the ticket holds (it only adds
    a rating where the source has given none)."""
    latest = (
        await session.exec(  # type: ignore[call-overload]
            _SOURCE_LATEST, params={"ticket": ticket.id, "source": ticket.source}
        )
    ).first()
    if latest is None:
        return False
    return older or tuple(latest) == (value.strip()[:200], score, sentiment.value)


async def record_source_feedback(
    session: AsyncSession,
    ticket: Ticket,
    feedback: FeedbackDraft | None,
    *,
    now: datetime,
    actor: str,
    first: bool = False,
    older: bool = False,
) -> TicketFeedback | None:
    """The citizen's rating a source item carries, as its connector read it (a 1–5 score, or
    words with their sentiment), recorded once; for ingestion to call after each snapshot.
    ``first``: the ticket was made in this transaction and has no rating yet (nothing to look
    up); ``older``: the snapshot is older than the one the ticket holds."""
    signal = source_signal(feedback)
    if feedback is None or signal is None:
        return None
    score, sentiment = signal
    if not first and await _source_stands(
        session, ticket, feedback.value, score, sentiment, older=older
    ):
        return None
    return await record_feedback(
        session,
        ticket,
        source_value=feedback.value,
        score=score,
        sentiment=sentiment,
        now=now,
        actor=actor,
        first=first,
    )


async def record_manual_feedback(
    session: AsyncSession,
    ticket_id: int,
    data: FeedbackCreate,
    *,
    principal: Principal,
    now: datetime,
) -> TicketFeedback:
    """Staff record the citizen's reaction to the answer of one of their tickets."""
    if principal.role not in (Role.operator, Role.manager, Role.admin):
        raise Forbidden(f"role '{principal.role}' cannot record feedback")
    if data.score is None and data.sentiment is None:
        raise ValidationFailed("give a score (1–5), a sentiment, or both", field="score")
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    sentiment = data.sentiment or sentiment_of_score(data.score or 3)
    value = data.source_value or (str(data.score) if data.score is not None else sentiment.value)
    return await record_feedback(
        session,
        ticket,
        source_value=value,
        score=data.score,
        sentiment=sentiment,
        now=now,
        actor=principal.actor,
        source="manual",
    )


async def list_feedback(
    session: AsyncSession, ticket_id: int, *, principal: Principal
) -> list[TicketFeedback]:
    """The ticket's feedback records, oldest first."""
    ticket = await get_visible_ticket(session, ticket_id, principal=principal)
    rows = await session.exec(
        select(TicketFeedback)
        .where(TicketFeedback.ticket_id == ticket.id)
        .order_by(col(TicketFeedback.id))
    )
    return list(rows.all())
