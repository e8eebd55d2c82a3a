"""Signed webhook deliveries: verify, validate, store raw in the intake inbox (the pipeline makes
the tickets), quarantine what is invalid."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.connectors.base import Connector, ConnectorPayloadError
from app.connectors.registry import inbound_connector
from app.errors import SignatureInvalid, ValidationFailed
from app.intake import connector_health
from app.intake.delivery_status import first_delivery, ticket_number
from app.intake.receipt import WAKE_PIPELINE, store_received
from app.intake.wakeup import PipelineWaker
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.drafts import TicketDraft
from app.models.inbound import DeliveryOutcome, InboundDelivery

log = logging.getLogger(__name__)

# One idempotent insert per delivery: the first of a webhook-id is the effective one; a repeat
# finds it taken and is archived as ``duplicate``.
_INSERT = text(
    "INSERT INTO inbound_deliveries (source, kind, webhook_id, source_item_id, received_at, "
    "body, headers, outcome, error_detail, errors, attempts) "
    "VALUES (:source, 'webhook', :webhook_id, :item, :now, :body, CAST(:headers AS jsonb), "
    ":outcome, :detail, CAST(:errors AS jsonb), 0) "
    "ON CONFLICT (source, webhook_id) "
    "WHERE webhook_id IS NOT NULL AND outcome <> 'duplicate' DO NOTHING RETURNING id"
)
# Never archived: they authenticate (the signature, keys, cookies), they are not content.
_SECRET_HEADERS = frozenset(
    {"webhook-signature", "authorization", "proxy-authorization", "cookie", "x-api-key"}
)


@dataclass
class Received:
    """What the receipt stored: the effective delivery's id (the first of its webhook-id when
    this one is a repeat) and, for a repeat, the ticket the first one made (if made yet)."""

    delivery_id: int
    repeat: bool = False
    ticket_id: int | None = None
    ticket_number: str | None = None


def connector_actor(name: str) -> str:
    return f"connector:{name}"


def sanitise_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The delivery's headers minus anything that authenticates, bounded in size."""
    kept = {k.lower(): v[:500] for k, v in headers.items() if k.lower() not in _SECRET_HEADERS}
    return dict(sorted(kept.items())[:40])


async def receive_webhook(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    engine: AsyncEngine,
    source: str,
    body: bytes,
    headers: Mapping[str, str],
    settings: Settings,
    now: datetime,
    waker: PipelineWaker | None = None,
) -> Received:
    """Verify, validate and store one signed delivery raw in the intake inbox, and nothing
    more: the pipeline makes its ticket. Commits before returning, so a 202 means it is stored.
    ``waker`` wakes the pipelines after a stored delivery (else the receipt's own NOTIFY)."""
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
    kept = sanitise_headers(headers)
    if draft is not None:
        stored = await store_received(
            engine,
            source=connector.name,
            webhook_id=webhook_id,
            item=draft.source_id,
            now=now,
            body=body,
            headers=kept,
            notify=waker is None,
        )
        if stored is not None:
            if waker is not None:
                waker.poke()
            if not stored.health_row:  # the connector's first success ever: its row is made
                async with sessionmaker() as session:
                    await _first_success(session, connector.name, now=now)
            return Received(stored.delivery_id)
    # A repeat, an invalid body, or a value PostgreSQL refuses: the ORM path tells which.
    async with sessionmaker() as session:
        return await _store_by_orm(
            session, connector, webhook_id, draft, problem, body=body, headers=kept, now=now
        )


async def _store_by_orm(
    session: AsyncSession,
    connector: Connector,
    webhook_id: str,
    draft: TicketDraft | None,
    problem: ConnectorPayloadError | None,
    *,
    body: bytes,
    headers: dict[str, str],
    now: datetime,
) -> Received:
    params = {
        "source": connector.name,
        "webhook_id": webhook_id,
        "item": draft.source_id if draft is not None else None,
        "now": now,
        "body": body,
        "headers": json.dumps(headers, ensure_ascii=False),
        "outcome": DeliveryOutcome.received if draft is not None else DeliveryOutcome.invalid,
        "detail": str(problem) if problem is not None else None,
        "errors": json.dumps(problem.errors if problem is not None else [], default=str),
    }
    inserted = (await session.exec(_INSERT, params=params)).first()  # type: ignore[call-overload]
    if inserted is None:
        return await _duplicate(session, connector, webhook_id, body, headers, now=now)
    delivery_id = int(inserted[0])
    if problem is not None:
        await _count(session, connector.name, DeliveryOutcome.invalid)
        await session.commit()
        await _record_failure(session, connector.name, failure="invalid", now=now)
        raise _invalid(connector.name, delivery_id, str(problem), problem.errors) from problem
    # Stored here only when the first of its webhook-id vanished between the two paths.
    await _count(session, connector.name, DeliveryOutcome.received)
    await session.exec(WAKE_PIPELINE)  # type: ignore[call-overload]
    await connector_health.record_success(session, connector.name, now=now)
    await session.commit()
    return Received(delivery_id)


async def _first_success(session: AsyncSession, source: str, *, now: datetime) -> None:
    """The connector's health row, made by its first stored delivery: in its own transaction,
    after the delivery committed, so failing to write it cannot turn the 202 into an error."""
    try:
        await connector_health.record_success(session, source, now=now)
        await session.commit()
    except Exception as exc:
        await session.rollback()
        log.warning("could not record connector health: %s", type(exc).__name__)


async def _duplicate(
    session: AsyncSession,
    connector: Connector,
    webhook_id: str,
    body: bytes,
    headers: dict[str, str],
    *,
    now: datetime,
) -> Received:
    """The same webhook-id again: archived, answered like the first, no other effect."""
    first = await first_delivery(session, connector.name, webhook_id)
    assert first is not None  # the insert just found it taken
    repeat = InboundDelivery(
        source=connector.name,
        webhook_id=webhook_id,
        source_item_id=first.source_item_id,
        received_at=now,
        processed_at=now,
        body=body,
        headers=headers,
        outcome=DeliveryOutcome.duplicate,
        ticket_id=first.ticket_id,
    )
    session.add(repeat)
    await _count(session, connector.name, DeliveryOutcome.duplicate)
    await session.commit()
    assert first.id is not None
    if first.outcome == DeliveryOutcome.invalid and first.replayed_at is None:
        raise _invalid(connector.name, first.id, first.error_detail, first.errors)
    number = await ticket_number(session, first.ticket_id)
    return Received(first.id, repeat=True, ticket_id=first.ticket_id, ticket_number=number)


def _invalid(
    source: str, delivery_id: int, detail: str | None, errors: list[dict[str, Any]]
) -> ValidationFailed:
    return ValidationFailed(
        f"the {source} delivery is invalid and was quarantined: {detail}",
        errors=errors,
        delivery_id=delivery_id,
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
