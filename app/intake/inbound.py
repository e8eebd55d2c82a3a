"""Signed webhook deliveries: verify, archive raw, ingest once, quarantine what is invalid."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.connectors.base import Connector, ConnectorPayloadError
from app.connectors.registry import inbound_connector
from app.errors import SignatureInvalid, ValidationFailed
from app.intake import connector_health
from app.intake.ingestion import ingest_draft, item_lock_key
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.drafts import TicketDraft
from app.models.inbound import DeliveryOutcome, InboundDelivery
from app.models.tickets import Ticket

log = logging.getLogger(__name__)

_LOCKS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(:webhook, 0)), "
    "CASE WHEN CAST(:item AS text) IS NOT NULL "
    "THEN pg_advisory_xact_lock(hashtextextended(CAST(:item AS text), 0)) END"
)
# Never archived: they authenticate (the signature, keys, cookies), they are not content.
_SECRET_HEADERS = frozenset(
    {"webhook-signature", "authorization", "proxy-authorization", "cookie", "x-api-key"}
)


@dataclass
class Received:
    delivery: InboundDelivery
    ticket: Ticket | None


def connector_actor(name: str) -> str:
    return f"connector:{name}"


def sanitise_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The delivery's headers minus anything that authenticates, bounded in size."""
    kept = {k.lower(): v[:500] for k, v in headers.items() if k.lower() not in _SECRET_HEADERS}
    return dict(sorted(kept.items())[:40])


async def receive_webhook(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    source: str,
    body: bytes,
    headers: Mapping[str, str],
    settings: Settings,
    now: datetime,
) -> Received:
    """Handle one signed delivery; commits before returning, so a 2xx means it is stored."""
    connector = inbound_connector(source, settings)
    try:
        webhook_id = connector.verify(body, headers, now=now)
    except SignatureInvalid:
        await _count_refusal(sessionmaker, connector.name, now=now)
        raise
    try:
        draft: TicketDraft | None = connector.parse(body, now=now)
        problem = None
    except ConnectorPayloadError as exc:
        draft, problem = None, exc
    # Deliveries of one webhook-id queue here; the first decides, the rest are duplicates. The
    # item's own lock is taken in the same round trip (always in this order: no deadlock).
    keys = {"webhook": f"webhook:{connector.name}:{webhook_id}", "item": None}
    if draft is not None:
        keys["item"] = item_lock_key(draft.source, draft.source_id)
    await session.exec(_LOCKS, params=keys)  # type: ignore[call-overload]
    first = await _first_delivery(session, connector.name, webhook_id)
    if first is not None:
        return await _duplicate(session, connector, first, body, headers, now=now)
    archived = InboundDelivery(
        source=connector.name,
        webhook_id=webhook_id,
        received_at=now,
        body=body,
        headers=sanitise_headers(headers),
        outcome=DeliveryOutcome.invalid,
    )
    if draft is None:
        assert problem is not None
        archived.error_detail, archived.errors = str(problem), problem.errors
        session.add(archived)
        await _count(session, connector.name, DeliveryOutcome.invalid)
        await session.commit()
        await _record_failure(session, connector.name, failure="invalid", now=now)
        raise _invalid(connector.name, archived) from problem
    actor = connector_actor(connector.name)
    result = await ingest_draft(session, draft, actor=actor, now=now, item_locked=True)
    archived.outcome = result.outcome
    archived.source_item_id = draft.source_id
    archived.ticket_id = result.ticket.id
    session.add(archived)
    await _count(session, connector.name, result.outcome)
    # Last, so the health row is held only for the commit; it never waits (SKIP LOCKED).
    await connector_health.record_success(session, connector.name, now=now)
    await session.commit()
    return Received(archived, result.ticket)


async def _first_delivery(
    session: AsyncSession, source: str, webhook_id: str
) -> InboundDelivery | None:
    query = select(InboundDelivery).where(
        InboundDelivery.source == source,
        InboundDelivery.webhook_id == webhook_id,
        InboundDelivery.outcome != DeliveryOutcome.duplicate,
    )
    return (await session.exec(query)).first()


async def _duplicate(
    session: AsyncSession,
    connector: Connector,
    first: InboundDelivery,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: datetime,
) -> Received:
    """The same webhook-id again: archived, answered like the first, no other effect."""
    repeat = InboundDelivery(
        source=connector.name,
        webhook_id=first.webhook_id,
        source_item_id=first.source_item_id,
        received_at=now,
        body=body,
        headers=sanitise_headers(headers),
        outcome=DeliveryOutcome.duplicate,
        ticket_id=first.ticket_id,
    )
    session.add(repeat)
    await _count(session, connector.name, DeliveryOutcome.duplicate)
    await session.commit()
    if first.outcome == DeliveryOutcome.invalid and first.replayed_at is None:
        raise _invalid(connector.name, first)
    ticket = await session.get(Ticket, first.ticket_id) if first.ticket_id else None
    return Received(repeat, ticket)


def _invalid(source: str, delivery: InboundDelivery) -> ValidationFailed:
    return ValidationFailed(
        f"the {source} delivery is invalid and was quarantined: {delivery.error_detail}",
        errors=delivery.errors,
        delivery_id=delivery.id,
    )


async def _count(session: AsyncSession, source: str, outcome: str) -> None:
    await metrics_store.increment(
        session, catalog.WEBHOOK_DELIVERIES, {"source": source, "outcome": outcome}
    )


async def _record_failure(
    session: AsyncSession, source: str, *, failure: str, now: datetime
) -> None:
    """A failure in its own short transaction after the quarantined delivery committed, so
    recording it cannot undo the delivery that is already stored."""
    try:
        await connector_health.record_failure(session, source, reason=failure, now=now)
        await session.commit()
    except Exception as exc:
        # Detach first: a rollback would expire the committed delivery and ticket the answer
        # is built from (reading them again needs the database that just failed).
        session.expunge_all()
        await session.rollback()
        log.warning("could not record connector health: %s", type(exc).__name__)


async def _count_refusal(
    sessionmaker: async_sessionmaker[AsyncSession], source: str, *, now: datetime
) -> None:
    """Count a refused signature in its own short transaction (nothing else is stored)."""
    try:
        async with sessionmaker() as session:
            await connector_health.record_failure(session, source, reason="signature", now=now)
            await _count(session, source, "signature")
            await session.commit()
    except Exception as exc:  # the 401 stands even when the count cannot be written
        log.warning("could not count a refused webhook signature: %s", type(exc).__name__)
