"""``appeals_answers_rated_total{kind}``: answered tickets that have a citizen's rating, each once.

A rating may come before any answer (the API and the sources allow it), after the final answer,
or once per answer of a reopened ticket; counting ratings against final answers overstates the
rated share. So a ticket is counted once, the moment it first has both a final answer
(``answered_at``) and a rating (a ``ticket_feedback`` row), whichever came second:

- a rating's first record on a ticket that already has its final answer (``on_first_rating``,
  called by the feedback service before it adds the row);
- the final answer of a ticket already rated (``answer_updates``, the ticket hook in
  ``before_flush``: ``answered_at`` first set, a rating row already in the database).

The two cannot both count one ticket: a rating recorded after ``answered_at`` was set in memory
is flushed with or after it, so the hook does not find it, and the feedback service sees the
answer. Across transactions, the rating paths (staff, ingestion, chat-bot) and the answers (staff,
ingestion) hold the ticket's row lock, so one sees what the other committed. The denominator,
``appeals_resolution_seconds_count``, is also counted once per ticket, when ``answered_at`` is
first set.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session, attributes
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.tickets import Ticket

NAME = catalog.ANSWERS_RATED.name
_ANY_RATING = text("SELECT EXISTS (SELECT 1 FROM ticket_feedback WHERE ticket_id = :id)")
_RATED = text(
    "SELECT DISTINCT ticket_id FROM ticket_feedback WHERE ticket_id IN :ids ORDER BY ticket_id"
).bindparams(bindparam("ids", expanding=True))


async def on_first_rating(
    session: AsyncSession, ticket: Ticket, *, known_unrated: bool = False
) -> None:
    """Count ``ticket`` when the rating about to be recorded is its first and it is answered
    (``known_unrated``: the caller knows it is the first)."""
    if ticket.answered_at is None or ticket.id is None:
        return
    if known_unrated:
        await metrics_store.increment(session, catalog.ANSWERS_RATED, {"kind": str(ticket.kind)})
        return
    rated = await session.exec(_ANY_RATING, params={"id": ticket.id})  # type: ignore[call-overload]
    if not rated.scalar_one():
        await metrics_store.increment(session, catalog.ANSWERS_RATED, {"kind": str(ticket.kind)})


def _first_answered(obj: Ticket) -> bool:
    history = attributes.get_history(obj, "answered_at")
    added = list(history.added or ())
    return bool(added) and added[0] is not None and not any(history.deleted or ())


def answer_updates(session: Session, dirty: Iterable[Any]) -> list[metrics_store.Update]:
    """The flushed tickets given their final answer now that were rated before it."""
    answered = {
        obj.id: obj
        for obj in dirty
        if isinstance(obj, Ticket) and obj.id is not None and _first_answered(obj)
    }
    if not answered:
        return []
    rated = session.execute(_RATED, {"ids": sorted(answered)}).scalars().all()
    return [(NAME, {"kind": str(answered[ticket_id].kind)}, 1.0) for ticket_id in rated]
