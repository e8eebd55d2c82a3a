"""Which source items a poller re-reads (open tickets of a source, in id order), and storing
what it read in the intake inbox for the pipeline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.intake.receipt import WAKE_PIPELINE
from app.models.common import OPEN_STATUSES
from app.models.drafts import TicketDraft
from app.models.inbound import DeliveryKind, DeliveryOutcome, InboundDelivery
from app.models.tickets import Ticket


def poller_actor(source: str) -> str:
    """Who the timeline names for what a poll brought."""
    return f"system:{source}_poller"


async def store_polled(
    session: AsyncSession,
    *,
    source: str,
    item: Mapping[str, Any],
    draft: TicketDraft,
    now: datetime,
) -> None:
    """One polled snapshot into the inbox (already checked: ``draft`` is its mapping)."""
    session.add(
        InboundDelivery(
            source=source,
            kind=DeliveryKind.poll,
            source_item_id=draft.source_id,
            received_at=now,
            body=json.dumps(item, ensure_ascii=False).encode(),
            outcome=DeliveryOutcome.received,
        )
    )
    await session.exec(WAKE_PIPELINE)  # type: ignore[call-overload]


async def open_items(
    session: AsyncSession, *, source: str, after_id: int, limit: int
) -> list[tuple[int, str]]:
    """(ticket id, source id) of open tickets of ``source`` after ``after_id``, oldest first."""
    rows = await session.exec(
        select(Ticket.id, Ticket.source_id)
        .where(
            Ticket.source == source,
            col(Ticket.status).in_([s.value for s in OPEN_STATUSES]),
            col(Ticket.id) > after_id,
        )
        .order_by(col(Ticket.id))
        .limit(limit)
    )
    return [(int(i), str(s)) for i, s in rows.all() if i is not None]
