"""What the ticket page shows besides the ticket's own fields: every deadline and why it moved,
the priority, the citizen's ratings, and the link to the original in the source's back office."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlmodel.ext.asyncio.session import AsyncSession

from app.console import labels, targets
from app.console.deps import Console
from app.console.incident_view import incident_of_ticket
from app.feedback.service import list_feedback
from app.models.common import Source
from app.models.feedback import TicketFeedback
from app.models.tickets import Ticket, TicketEvent

FEEDBACK_SOURCE = {**labels.SOURCE, "manual": "записал сотрудник (звонок, приём)"}


@dataclass(frozen=True)
class Rating:
    """One rating of an answer, in words."""

    at: datetime
    score: int | None
    sentiment: str
    comment: str | None  # what the citizen wrote, when it is more than the score itself
    source: str
    reopened: bool
    actor: str
    by_staff: bool  # recorded by a person from a call or a visit


def rating(row: TicketFeedback) -> Rating:
    value = row.source_value.strip()
    plain_score = row.score is not None and value == str(row.score)
    return Rating(
        at=row.created_at,
        score=row.score,
        sentiment=labels.SENTIMENT.get(row.sentiment, row.sentiment),
        comment=None if plain_score or value in labels.SENTIMENT else value or None,
        source=FEEDBACK_SOURCE.get(row.source, row.source),
        reopened=row.reopened,
        actor=row.actor,
        by_staff=row.source == "manual",
    )


def original_url(ticket: Ticket, console: Console) -> str | None:
    """The item in the ПОС back office (``APPEALS_FEEDBACK_PLATFORM_BACKOFFICE_URL``); a social
    post keeps the link its source gave (``source_url``)."""
    if ticket.source != Source.feedback_platform or not ticket.source_id:
        return None
    base = console.settings.feedback_platform_backoffice_url.rstrip("/")
    return f"{base}/{quote(ticket.source_id, safe='')}"


async def panels(
    session: AsyncSession,
    ticket: Ticket,
    events: Sequence[TicketEvent],
    console: Console,
    now: datetime,
) -> dict[str, Any]:
    """The template values the ticket page adds for these panels."""
    assert ticket.id is not None
    feedback = await list_feedback(session, ticket.id, principal=console.principal)
    return {
        "targets": targets.targets(ticket, now),
        "moves": targets.moves(events, ticket),
        "priority": targets.PRIORITY.get(ticket.priority, ticket.priority),
        "ratings": [rating(row) for row in feedback],
        "original_url": original_url(ticket, console),
        "incident": await incident_of_ticket(session, ticket, console.principal),
    }
