"""The monthly upload to ССТУ.РФ through the outbox: one message per appeal document, queued
only when the whole month is ready; the relay adds the applicant's fields as it sends, so no
personal data is written into the outbox."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.connectors.sstu.document import with_applicant
from app.errors import Conflict
from app.models.outbox import OutboxKind, OutboxMessage, OutboxTarget
from app.models.tickets import Applicant, Ticket
from app.outbox import service as outbox
from app.sstu import questions as sstu_questions
from app.sstu.report import applicant_record, build_month
from app.sstu.rules import Month, require_ended


@dataclass(frozen=True)
class UploadResult:
    month: str
    documents: int
    queued: int  # new messages (a document unchanged since its last upload is not sent again)


def message_id(month: str, number: str, document: dict[str, Any]) -> str:
    """Stable per month, appeal and content: re-running an upload queues only what changed."""
    digest = hashlib.sha256(
        json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()[:16]
    return f"sstu:{month}:{number}:{digest}"


async def queue_month(
    session: AsyncSession, month: Month, *, tz: tzinfo, now: datetime
) -> UploadResult:
    """Queue the month's documents for the relay; a month with problems is a 409 listing them,
    and so is (once ready) a month not over yet in the city's time zone."""
    report = await build_month(session, month, tz=tz)
    if report.problems:
        listed = [
            {"ticket_id": p.ticket_id, "number": p.number, "missing": p.missing}
            for p in report.problems
        ]
        raise Conflict(
            f"{len(report.problems)} appeals of {month.label} are not ready for ССТУ.РФ "
            "(see `appeals sstu check`); nothing was queued",
            problems=listed,
        )
    require_ended(month, now)
    queued = 0
    for entry in report.entries:
        ticket = await session.get(Ticket, entry.ticket_id)
        assert ticket is not None
        key = message_id(month.label, entry.record.number, entry.document)
        exists = (
            await session.exec(select(OutboxMessage.id).where(OutboxMessage.idempotency_id == key))
        ).first()
        if exists is None:
            queued += 1
        await outbox.enqueue(
            session,
            target=OutboxTarget.sstu.value,
            kind=OutboxKind.sstu_document.value,
            payload={"month": month.label, "document": entry.document},
            ticket=ticket,
            idempotency_id=key,
        )
    await session.flush()
    return UploadResult(month=month.label, documents=len(report.entries), queued=queued)


async def document_to_send(session: AsyncSession, message: OutboxMessage) -> dict[str, Any] | None:
    """The queued document with the applicant's fields the profile asks for, read now (so a
    purge since queueing is honoured); None when the message carries no document."""
    document = message.payload.get("document")
    if not isinstance(document, dict):
        return None
    profile = await sstu_questions.load_profile(session)
    if not profile.applicant_fields or message.ticket_id is None:
        return document
    ticket = await session.get(Ticket, message.ticket_id)
    applicant = (
        await session.get(Applicant, ticket.applicant_id)
        if ticket is not None and ticket.applicant_id is not None
        else None
    )
    record = applicant_record(applicant, profile.applicant_fields)
    return with_applicant(
        document, {"name": record.name, "address": record.address, "email": record.email}
    )
