"""Personal-data retention (152-ФЗ): clear applicants' data once the purpose is over.

A ticket keeps everything the city counts and learns from (category, department, deadlines,
timeline, answers); what identifies the citizen goes: the applicant row is emptied and
marked ``purged_at``, phone numbers and e-mails inside the appeal text are replaced, and the
raw inbound deliveries of the ticket lose their ``applicant`` / ``author`` objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.personal_data import scrub_text
from app.models.common import Status
from app.models.inbound import InboundDelivery
from app.models.tickets import Applicant, Ticket
from app.tickets.events import record_event
from app.tickets.search_text import refresh_search_text
from app.tickets.status import touch

# Statuses after which the purpose of the data is over; "closure" is ``closed_at`` for closed
# tickets and the last change for rejected and merged ones (they carry no ``closed_at``).
FINISHED = (Status.closed.value, Status.rejected.value, Status.merged.value)
# Keys of the sources' bodies that hold the citizen: ПОС ``applicant``, IM ``author``.
PERSONAL_KEYS = ("applicant", "author")
PURGED_FIELDS = (
    "full_name",
    "surname",
    "name",
    "patronymic",
    "email",
    "phone",
    "post_address",
    "esia_id",
    "profile_url",
)


@dataclass
class PurgeReport:
    tickets: int = 0
    deliveries: int = 0


def _due(cutoff: datetime) -> Any:
    closure = func.coalesce(col(Ticket.closed_at), col(Ticket.updated_at))
    return (
        select(Ticket)
        .join(Applicant, col(Applicant.id) == col(Ticket.applicant_id))
        .where(
            col(Ticket.status).in_(FINISHED),
            col(Applicant.purged_at).is_(None),
            closure <= cutoff,
        )
    )


async def count_purgeable(session: AsyncSession, *, retention_days: int, now: datetime) -> int:
    """How many tickets still hold personal data past the retention period."""
    cutoff = now - timedelta(days=retention_days)
    stmt = select(func.count()).select_from(_due(cutoff).subquery())
    return int((await session.exec(stmt)).one())


UNREADABLE = b"null"


def scrub_body(body: bytes) -> bytes | None:
    """The raw body without the citizen's objects; None when nothing changes. A body that
    cannot be read as JSON (not JSON, nested too deeply) cannot be scrubbed field by field,
    so it is dropped whole: ``null``."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None if body == UNREADABLE else UNREADABLE
    if not isinstance(data, dict) or not any(data.get(k) is not None for k in PERSONAL_KEYS):
        return None
    for key in PERSONAL_KEYS:
        if key in data:
            data[key] = None
    return json.dumps(data, ensure_ascii=False).encode()


async def _scrub_deliveries(session: AsyncSession, ticket_ids: list[int]) -> int:
    rows = (
        await session.exec(
            select(InboundDelivery).where(col(InboundDelivery.ticket_id).in_(ticket_ids))
        )
    ).all()
    changed = 0
    for delivery in rows:
        body = scrub_body(delivery.body)
        corrected = scrub_body(delivery.corrected_body) if delivery.corrected_body else None
        if body is not None:
            delivery.body = body
        if corrected is not None:
            delivery.corrected_body = corrected
        if body is not None or corrected is not None:
            session.add(delivery)
            changed += 1
    return changed


async def purge_batch(
    session: AsyncSession, *, retention_days: int, now: datetime, limit: int = 500, actor: str
) -> PurgeReport:
    """Purge up to ``limit`` due tickets (rows locked, concurrent runs skip each other)."""
    cutoff = now - timedelta(days=retention_days)
    stmt = _due(cutoff).order_by(col(Ticket.id)).limit(limit)
    tickets = list((await session.exec(stmt.with_for_update(of=Ticket, skip_locked=True))).all())
    report = PurgeReport(tickets=len(tickets))
    if not tickets:
        return report
    ids = [t.id for t in tickets if t.id is not None]
    applicant_ids = [t.applicant_id for t in tickets]
    await session.exec(
        update(Applicant)
        .where(col(Applicant.id).in_(applicant_ids))
        .values({**dict.fromkeys(PURGED_FIELDS), "purged_at": now})
    )  # type: ignore[call-overload]
    for ticket in tickets:
        ticket.text = scrub_text(ticket.text)
        refresh_search_text(ticket)  # the lemmas held the names and phones too
        touch(ticket, now)
        session.add(ticket)
        record_event(
            session, ticket, actor=actor, type="personal_data_purged", retention_days=retention_days
        )
    report.deliveries = await _scrub_deliveries(session, ids)
    await session.flush()
    return report
