"""Where a stored delivery stands, for the sender that follows the 202's ``Location``."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.inbound import DeliveryOutcome, DeliveryStatus, InboundDelivery
from app.models.tickets import Ticket


async def ticket_number(session: AsyncSession, ticket_id: int | None) -> str | None:
    if ticket_id is None:
        return None
    rows = await session.exec(select(Ticket.number).where(Ticket.id == ticket_id))
    return rows.first()


async def first_delivery(
    session: AsyncSession, source: str, webhook_id: str
) -> InboundDelivery | None:
    """The effective delivery of a webhook-id: its first, whatever the repeats."""
    query = select(InboundDelivery).where(
        InboundDelivery.source == source,
        InboundDelivery.webhook_id == webhook_id,
        InboundDelivery.outcome != DeliveryOutcome.duplicate,
    )
    return (await session.exec(query)).first()


async def delivery_status(session: AsyncSession, delivery_id: int) -> DeliveryStatus:
    """The delivery's status; a repeated webhook-id answers with its first delivery's ticket."""
    row = await session.get(InboundDelivery, delivery_id, populate_existing=True)
    if row is None:
        raise NotFound(f"no delivery {delivery_id}")
    assert row.id is not None
    first_id = None
    ticket_id = row.ticket_id
    if row.outcome == DeliveryOutcome.duplicate and row.webhook_id is not None:
        first = await first_delivery(session, row.source, row.webhook_id)
        if first is not None:
            first_id, ticket_id = first.id, first.ticket_id
    status, processed_at = row.outcome, row.processed_at
    if row.replayed_at is not None and row.replay_outcome is not None:
        # Quarantined, then replayed by an admin: what the replay made of it.
        status, processed_at = row.replay_outcome, row.replayed_at
    return DeliveryStatus(
        id=row.id,
        source=row.source,
        kind=row.kind,
        webhook_id=row.webhook_id,
        source_item_id=row.source_item_id,
        received_at=row.received_at,
        processed_at=processed_at,
        status=status,
        ticket_id=ticket_id,
        ticket_number=await ticket_number(session, ticket_id),
        error_detail=row.error_detail,
        duplicate_of=first_id,
    )
