"""The intake pipeline: stored deliveries become tickets, a batch per transaction.

Every path from a source (signed webhooks, Excel import rows, the ПОС poller) stores its raw
item in ``inbound_deliveries`` as ``received`` and commits; this pipeline, running in every api
process (woken by NOTIFY) and in every worker, claims what is waiting (``FOR UPDATE SKIP
LOCKED``, any number of processes at once), groups it by source item and applies each item's
newest snapshot: an older one in the same batch is ``stale``, and ``ingest_draft`` keeps an
older one from overwriting a newer one stored by an earlier batch. The items' advisory locks are
taken in one statement, in key order (no deadlock between batches). One transaction per batch:
tickets, events, counters and the deliveries' outcomes commit together. A batch that raises is
rolled back and its deliveries are retried one by one; one that raises alone (poison) is
quarantined with its error and the others commit. A database that fails is not poison: the
batch stays waiting for the next pass.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.connectors import registry
from app.connectors.registry import inbound_connector
from app.data_errors import data_error_cause
from app.db import Database
from app.feedback.service import record_source_feedback
from app.intake.inbound import connector_actor
from app.intake.ingestion import IngestResult, ingest_draft, is_older, item_lock_key
from app.intake.polling import poller_actor
from app.intake.row_codec import decode_row
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.drafts import TicketDraft
from app.models.inbound import DeliveryKind, DeliveryOutcome, InboundDelivery

log = logging.getLogger(__name__)

_LOCK_ITEMS = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) "
    "FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS t(k, n)"
)
# Transient: the batch stays waiting (a deadlock or serialisation failure is retried too).
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03"})


@dataclass
class Item:
    row: InboundDelivery
    draft: TicketDraft


def parse(row: InboundDelivery, settings: Settings) -> TicketDraft:
    """The draft of a stored delivery, read as it was at receipt (its date window included)."""
    now = row.received_at
    if row.kind == DeliveryKind.import_row:
        fmt = registry.export_format(row.source)
        return fmt.parse(decode_row(row.body), tz=settings.tz, now=now)
    return inbound_connector(row.source, settings).parse(row.corrected_body or row.body, now=now)


def is_transient(exc: BaseException) -> bool:
    """A failure of the database or the connection, not of the item: retry later."""
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return code in _TRANSIENT_SQLSTATES
    return False


async def claim(
    session: AsyncSession, *, limit: int, only: int | None = None
) -> list[InboundDelivery]:
    """Waiting deliveries, oldest first, locked for this transaction (others skip them)."""
    query = select(InboundDelivery).where(InboundDelivery.outcome == DeliveryOutcome.received)
    if only is not None:
        query = query.where(InboundDelivery.id == only)
    query = query.order_by(col(InboundDelivery.id)).limit(limit)
    return list((await session.exec(query.with_for_update(skip_locked=True))).all())


def _newest(items: list[Item]) -> Item:
    """The snapshot to apply: the latest by the source's own time, then by receipt."""

    def order(item: Item) -> tuple[bool, datetime, int]:
        at = item.draft.source_updated_at
        return (at is not None, at or item.row.received_at, item.row.id or 0)

    return max(items, key=order)


async def process(session: AsyncSession, rows: list[InboundDelivery], settings: Settings) -> None:
    """Make or update the tickets of ``rows`` and record each row's outcome (no commit)."""
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for row in rows:
        draft = parse(row, settings)
        groups[(draft.source, draft.source_id)].append(Item(row, draft))
    keys = sorted(item_lock_key(source, source_id) for source, source_id in groups)
    await session.exec(_LOCK_ITEMS, params={"keys": keys})  # type: ignore[call-overload]
    for (_source, _source_id), items in sorted(groups.items()):
        newest = _newest(items)
        actor = _actor(newest.row)
        result = await ingest_draft(
            session, newest.draft, actor=actor, now=newest.row.received_at, item_locked=True
        )
        _finish(newest, result.outcome, result)
        for item in items:
            if item is newest:
                continue
            older = is_older(item.draft.source_updated_at, newest.draft.source_updated_at)
            _finish(item, DeliveryOutcome.stale if older else DeliveryOutcome.unchanged, result)
            # A rating only adds to the ticket: an older snapshot still carries it.
            await record_source_feedback(
                session, result.ticket, item.draft.feedback, now=item.row.received_at, actor=actor
            )
    await _count(session, rows)
    for row in rows:
        # A poll that found the item as the ticket holds it says nothing worth keeping.
        if row.kind == DeliveryKind.poll and row.outcome == DeliveryOutcome.unchanged:
            await session.delete(row)


def _actor(row: InboundDelivery) -> str:
    return (
        poller_actor(row.source) if row.kind == DeliveryKind.poll else connector_actor(row.source)
    )


def _finish(item: Item, outcome: str, result: IngestResult) -> None:
    item.row.outcome = outcome
    item.row.ticket_id = result.ticket.id
    item.row.source_item_id = item.draft.source_id
    item.row.attempts += 1


async def _count(session: AsyncSession, rows: list[InboundDelivery]) -> None:
    """Each row's finishing time, and the pipeline's counters and histograms for the batch."""
    now = await _db_now(session)
    for row in rows:
        row.processed_at = now
    outcomes = Counter((r.source, r.kind, r.outcome) for r in rows)
    updates: list[tuple[catalog.Family, dict[str, str], float]] = [
        (catalog.INTAKE_ITEMS, {"source": s, "kind": k, "outcome": o}, float(n))
        for (s, k, o), n in sorted(outcomes.items())
    ]
    await metrics_store.increment_many(session, updates)
    for row in rows:
        waited = max(0.0, (now - row.received_at).total_seconds())
        await metrics_store.observe(session, catalog.INTAKE_LATENCY, {"source": row.source}, waited)
    await metrics_store.observe(session, catalog.INTAKE_BATCH_SIZE, {}, float(len(rows)))


async def _db_now(session: AsyncSession) -> datetime:
    return (await session.exec(text("SELECT clock_timestamp()"))).one()[0]  # type: ignore[call-overload,no-any-return]


async def run_batch(db: Database, *, limit: int, only: int | None = None) -> int:
    """One batch: claim up to ``limit`` waiting deliveries and finish them; returns how many
    were taken (0: nothing was waiting or free). A batch that raises is retried item by item."""
    async with db.sessionmaker() as session:
        rows = await claim(session, limit=limit, only=only)
        if not rows:
            return 0
        ids = [r.id for r in rows if r.id is not None]
        try:
            await process(session, rows, db.settings)
            await session.commit()
            return len(ids)
        except Exception as exc:
            await session.rollback()
            if is_transient(exc):
                raise
            if len(ids) == 1:
                await _quarantine(db, ids[0], exc)
                return 1
    # Someone in the batch is poison: each alone, so only it fails.
    for delivery_id in ids:
        await run_batch(db, limit=1, only=delivery_id)
    return len(ids)


async def _quarantine(db: Database, delivery_id: int, exc: BaseException) -> None:
    """A delivery that fails alone: kept as invalid (for replay) with its error's kind only,
    never its message (a database error quotes the row's values: personal data)."""
    cause = data_error_cause(exc) if isinstance(exc, DBAPIError) else None
    detail = cause or f"the intake pipeline could not make a ticket of it ({type(exc).__name__})"
    log.error("intake: delivery %s quarantined: %s", delivery_id, type(exc).__name__)
    async with db.sessionmaker() as session:
        rows = await claim(session, limit=1, only=delivery_id)
        if not rows:
            return
        row = rows[0]
        row.outcome, row.error_detail = DeliveryOutcome.invalid, detail
        row.errors = [{"field": "body", "message": detail, "type": "processing"}]
        row.attempts += 1
        row.processed_at = await _db_now(session)
        await metrics_store.increment(
            session,
            catalog.INTAKE_ITEMS,
            {"source": row.source, "kind": row.kind, "outcome": DeliveryOutcome.invalid},
        )
        await session.commit()


async def drain(db: Database, *, batch: int) -> int:
    """Run batches until nothing is waiting (or free to take); returns deliveries finished."""
    done = 0
    while taken := await run_batch(db, limit=batch):
        done += taken
    return done
