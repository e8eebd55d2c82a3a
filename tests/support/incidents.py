"""Mass-incident test data: a wave of tickets about one outage, and what the fan-out queued."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from app.db import Database
from app.incidents.surge import detect
from app.models.drafts import ApplicantDraft
from app.models.incidents import Incident
from app.models.outbox import OutboxMessage
from app.models.tickets import Ticket
from tests.support.builders import distinct_text, make_ticket

# Sources that are told back through the outbox, each with a kind and a channel it uses.
SOURCES = (
    ("incident_management", "social_post", "vk"),
    ("feedback_platform", "pos_message", "gosuslugi"),
    ("chatbot", "anonymous_report", "telegram"),
)


async def wave_ticket(db: Database, n: int, *, at: datetime, **overrides: Any) -> Ticket:
    """One appeal of the wave: the n-th source in turn, house n on ул. Ленина, district center."""
    source, kind, channel = SOURCES[n % len(SOURCES)]
    fields: dict[str, Any] = {
        "source": source,
        "kind": kind,
        "channel": channel,
        "source_url": f"https://example.test/{source}/{n}",
        "category_code": "water",
        "district_code": "center",
        "address": f"ул. Ленина, д. {n + 1}",
        "text": distinct_text(),
        "now": at,
        "applicant": ApplicantDraft(),
    }
    fields.update(overrides)
    return await make_ticket(db, **fields)


async def wave(
    db: Database, count: int, *, now: datetime, minutes: int = 40, **overrides: Any
) -> list[Ticket]:
    """``count`` appeals spread over the last ``minutes``."""
    step = timedelta(minutes=minutes) / max(count, 1)
    return [
        await wave_ticket(db, n, at=now - timedelta(minutes=minutes) + step * n, **overrides)
        for n in range(count)
    ]


async def run_detection(db: Database, now: datetime) -> list[Incident]:
    async with db.sessionmaker() as session:
        opened = await detect(session, now=now)
        await session.commit()
    return opened


async def outbox_of(db: Database, ticket_ids: list[int]) -> list[OutboxMessage]:
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.ticket_id).in_(ticket_ids))
            .order_by(col(OutboxMessage.id))
        )
        return list(rows.all())
