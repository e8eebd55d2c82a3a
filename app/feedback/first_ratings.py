"""The ratings carried by a batch's new tickets, recorded together.

An export row or a webhook snapshot first seen already answered and rated makes its ticket and
its rating in the same intake batch. One by one, each rating read the ticket's latest answer,
stored its row, and a low one reopened the ticket and queued messages for the source and the
department — two flushes and up to five statements per rating. Here the lot takes one statement
for the answers, one for the rows, one for the departments' webhooks and one for the messages,
and ends exactly as ``service.record_source_feedback(first=True)`` called for each in order
(``tests/integration/test_batch_ratings.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import settings_of
from app.feedback import service
from app.metrics import catalog, rated_answers
from app.metrics import store as metrics_store
from app.models.drafts import FeedbackDraft
from app.models.feedback import Sentiment, TicketFeedback
from app.models.tickets import Ticket
from app.outbox import service as outbox

_LATEST_ANSWERS = text(
    "SELECT DISTINCT ON (ticket_id) ticket_id, id FROM ticket_answers "
    "WHERE ticket_id = ANY(:ids) ORDER BY ticket_id, id DESC"
)


@dataclass(frozen=True, slots=True)
class NewRating:
    """A ticket made in this transaction (no rating yet) and the rating its item carries."""

    ticket: Ticket
    feedback: FeedbackDraft | None
    now: datetime
    actor: str


async def record_first_ratings(session: AsyncSession, new: Sequence[NewRating]) -> None:
    """Record each item's rating on its new ticket, as ``record_source_feedback(first=True)``."""
    rated = [
        (item, signal)
        for item in new
        if item.feedback is not None
        and (signal := service.source_signal(item.feedback)) is not None
    ]
    if not rated:
        return
    threshold = settings_of(session).reopen_rating_threshold
    answers = await _latest_answers(session, [item.ticket.id or 0 for item, _ in rated])
    rows: list[TicketFeedback] = []
    for item, (score, sentiment) in rated:
        assert item.feedback is not None and item.ticket.id is not None
        await rated_answers.on_first_rating(session, item.ticket, known_unrated=True)
        row = service.new_rating(
            item.ticket,
            answers.get(item.ticket.id),
            value=item.feedback.value.strip()[:200],
            score=score,
            sentiment=sentiment,
            source=item.ticket.source,
            actor=item.actor,
            now=item.now,
        )
        rows.append(row)
    session.add_all(rows)
    await session.flush()  # the rows' ids, for the events and the messages
    await metrics_store.increment_many(
        session, [(catalog.CITIZEN_FEEDBACK, service.rating_labels(row), 1.0) for row in rows]
    )
    await _act(session, rated, rows, threshold)


async def _act(
    session: AsyncSession,
    rated: list[tuple[NewRating, tuple[int | None, Sentiment]]],
    rows: list[TicketFeedback],
    threshold: int,
) -> None:
    """The events, reopenings and messages of the stored ratings, in their order."""
    webhooks = await outbox.department_webhook_urls(
        session, {item.ticket.department_code for item, _ in rated}
    )
    messages: list[dict[str, Any]] = []
    for (item, (_, sentiment)), row in zip(rated, rows, strict=True):
        ticket = item.ticket
        reopen = service.note_rating(session, ticket, row, actor=item.actor, threshold=threshold)
        if reopen:
            status = service.reopen_ticket(session, ticket, row, actor=item.actor, now=item.now)
            if status is not None:
                messages.append(status)
        if (reopen or sentiment == Sentiment.negative) and webhooks.get(ticket.department_code):
            messages.append(service.notification(ticket, row, reopened=reopen, now=item.now))
    await outbox.enqueue_many(session, messages)
    await session.flush()


async def _latest_answers(session: AsyncSession, ticket_ids: list[int]) -> dict[int, int]:
    found = await session.exec(_LATEST_ANSWERS, params={"ids": ticket_ids})  # type: ignore[call-overload]
    return {ticket_id: answer_id for ticket_id, answer_id in found.all()}
