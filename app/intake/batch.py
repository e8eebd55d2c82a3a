"""One batch of the intake pipeline: waiting deliveries claimed, grouped by source item, each
item's newest snapshot applied, and every delivery's outcome written, in one transaction.

The statements are per batch, not per item, wherever the item's own work allows: the claim,
the items' advisory locks (one statement, in key order: no deadlock between batches), the
tickets already stored (one ``SELECT … FOR UPDATE``), the new tickets' numbers (one
``nextval`` over a series), the deliveries' outcomes (one ``UPDATE … FROM unnest``), the
counters and histograms (one upsert at commit). What stays per item is the domain's own work
on it: routing, deadlines, duplicates, ratings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.connectors import registry
from app.connectors.registry import inbound_connector
from app.feedback.first_ratings import NewRating, record_first_ratings
from app.feedback.service import record_source_feedback, source_signal
from app.incidents import surge as incidents
from app.intake.inbound import connector_actor
from app.intake.ingestion import create_items, ingest_draft, is_older, item_lock_key
from app.intake.polling import poller_actor
from app.intake.row_codec import decode_row
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.drafts import TicketDraft
from app.models.inbound import DeliveryKind, DeliveryOutcome
from app.models.tickets import Ticket
from app.tickets.creation import NewTicket
from app.tickets.events import buffer_events, write_buffered_events

_CLAIM = text(
    "SELECT id, source, kind, body, corrected_body, received_at FROM inbound_deliveries "
    "WHERE outcome = 'received' AND (CAST(:only AS bigint) IS NULL OR id = :only) "
    "ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
)
_LOCK_ITEMS = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) "
    "FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS t(k, n)"
)
_FINISH = text(
    "UPDATE inbound_deliveries AS d SET outcome = f.outcome, ticket_id = f.ticket_id, "
    "source_item_id = f.item, attempts = d.attempts + 1, processed_at = t.at "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:outcomes AS text[]), "
    "CAST(:tickets AS bigint[]), CAST(:items AS text[])) AS f(id, outcome, ticket_id, item), "
    "(SELECT clock_timestamp() AS at) AS t "  # one moment for the whole batch
    "WHERE d.id = f.id RETURNING d.processed_at"
)
# The batch's keys as a relation joined to the unique (source, source_id) index: a long
# ``IN`` list of pairs took PostgreSQL longer to plan than to run. The model's columns by name,
# not ``tickets.*``: a migration adding a column while this process runs would change a
# prepared ``*`` statement's result type, which PostgreSQL refuses once per connection.
_STORED = text(
    "SELECT "
    + ", ".join(f'tickets."{c.name}"' for c in sa_inspect(Ticket).columns)
    + " FROM unnest(CAST(:sources AS text[]), CAST(:items AS text[])) AS k(s, i) "
    "JOIN tickets ON tickets.source = k.s AND tickets.source_id = k.i FOR UPDATE OF tickets"
)
# A poll that found the item as the ticket holds it says nothing worth keeping.
_DROP_IDLE_POLLS = text("DELETE FROM inbound_deliveries WHERE id = ANY(CAST(:ids AS bigint[]))")


@dataclass
class Waiting:
    """A claimed delivery: what the pipeline reads of its row."""

    id: int
    source: str
    kind: str
    body: bytes
    corrected_body: bytes | None
    received_at: datetime


@dataclass
class Item:
    delivery: Waiting
    draft: TicketDraft
    outcome: str = DeliveryOutcome.received
    ticket_id: int | None = None


async def claim(session: AsyncSession, *, limit: int, only: int | None = None) -> list[Waiting]:
    """Waiting deliveries, oldest first, locked for this transaction (others skip them)."""
    found = await session.exec(_CLAIM, params={"limit": limit, "only": only})  # type: ignore[call-overload]
    return [Waiting(*row) for row in found.all()]


def parse(delivery: Waiting, settings: Settings) -> TicketDraft:
    """The draft of a stored delivery, read as it was at receipt (its date window included)."""
    body = delivery.corrected_body or delivery.body
    return parse_body(
        delivery.source, delivery.kind, body, now=delivery.received_at, settings=settings
    )


def parse_body(
    source: str, kind: str, body: bytes, *, now: datetime, settings: Settings
) -> TicketDraft:
    """A stored body as its source's draft: an export row by the export's columns, anything
    else (a webhook, a poll) by the inbound connector; ConnectorPayloadError if it is not one."""
    if kind == DeliveryKind.import_row:
        fmt = registry.export_format(source)
        return fmt.parse(decode_row(body), tz=settings.tz, now=now)
    return inbound_connector(source, settings).parse(body, now=now)


def _newest(items: list[Item]) -> Item:
    """The snapshot to apply: the latest by the source's own time, then by receipt."""

    def order(item: Item) -> tuple[bool, datetime, int]:
        at = item.draft.source_updated_at
        if at is None:
            # An export's undated rows of one item: the last one counts, as when a later batch
            # takes the later row — the outcome is the same wherever the batches cut the file.
            return (False, item.delivery.received_at, item.delivery.id)
        # The same snapshot twice (one time): the first one received counts.
        return (True, at, -item.delivery.id)

    return max(items, key=order)


def _new_ticket(item: Item) -> NewTicket:
    return NewTicket(item.draft, _actor(item.delivery), item.delivery.received_at)


def _actor(delivery: Waiting) -> str:
    if delivery.kind == DeliveryKind.poll:
        return poller_actor(delivery.source)
    return connector_actor(delivery.source)


async def _stored_tickets(
    session: AsyncSession, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], Ticket]:
    """The tickets the batch's items already have, locked (the items' locks are held)."""
    found = await session.execute(
        select(Ticket)
        .from_statement(
            _STORED.bindparams(sources=[k[0] for k in keys], items=[k[1] for k in keys])
        )
        .execution_options(populate_existing=True)
    )
    return {(t.source, t.source_id): t for t in found.scalars().all()}


async def process(session: AsyncSession, waiting: list[Waiting], settings: Settings) -> None:
    """Make or update the tickets of ``waiting`` and record each delivery's outcome (no commit)."""
    buffer_events(session)
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for delivery in waiting:
        draft = parse(delivery, settings)
        groups[(draft.source, draft.source_id)].append(Item(delivery, draft))
    keys = sorted(groups)
    await session.exec(_LOCK_ITEMS, params={"keys": sorted(item_lock_key(*k) for k in keys)})  # type: ignore[call-overload]
    stored = await _stored_tickets(session, keys)
    new_keys = [key for key in keys if key not in stored]
    # Items seen for the first time: their tickets made together, in key order, then the
    # ratings their newest snapshots carry (made just now: no earlier rating to look up).
    firsts = [_newest(groups[key]) for key in new_keys]
    made = await create_items(session, [_new_ticket(item) for item in firsts])
    tickets: dict[tuple[str, str], Ticket] = dict(zip(new_keys, made, strict=True))
    await record_first_ratings(
        session,
        [
            NewRating(ticket, item.draft.feedback, item.delivery.received_at, _actor(item.delivery))
            for ticket, item in zip(made, firsts, strict=True)
        ],
    )
    for key in keys:
        items = groups[key]
        newest = _newest(items)
        actor = _actor(newest.delivery)
        if key in stored:
            result = await ingest_draft(
                session,
                newest.draft,
                actor=actor,
                now=newest.delivery.received_at,
                item_locked=True,
                stored=stored[key],
            )
            newest.outcome, newest.ticket_id = result.outcome, result.ticket.id
            ticket = result.ticket
        else:
            ticket = tickets[key]
            newest.outcome, newest.ticket_id = DeliveryOutcome.created, ticket.id
        for item in items:
            if item is newest:
                continue
            older = is_older(item.draft.source_updated_at, newest.draft.source_updated_at)
            item.outcome = DeliveryOutcome.stale if older else DeliveryOutcome.unchanged
            item.ticket_id = ticket.id
        # A rating only adds to the ticket: an older snapshot still carries it when the newest
        # carries none (the latest such one; one rating per item and batch, so that a file
        # with the item twice, imported again, changes nothing).
        if source_signal(newest.draft.feedback) is None:
            rated = [i for i in items if source_signal(i.draft.feedback) is not None]
            if rated:
                latest = _newest(rated)
                await record_source_feedback(
                    session,
                    ticket,
                    latest.draft.feedback,
                    now=latest.delivery.received_at,
                    actor=actor,
                    older=is_older(latest.draft.source_updated_at, newest.draft.source_updated_at),
                )
    finished = [item for items in groups.values() for item in items]
    # New tickets of an open mass incident join it now (app.incidents.surge).
    await incidents.join_new_tickets(
        session, [i.ticket_id for i in finished if i.outcome == DeliveryOutcome.created]
    )
    await _finish(session, finished)


async def _finish(session: AsyncSession, items: list[Item]) -> None:
    """Every delivery's outcome in one statement; the batch's counters and histograms."""
    await session.flush()
    await write_buffered_events(session)
    params = {
        "ids": [i.delivery.id for i in items],
        "outcomes": [str(i.outcome) for i in items],
        "tickets": [i.ticket_id for i in items],
        "items": [i.draft.source_id for i in items],
    }
    finished = (await session.exec(_FINISH, params=params)).all()  # type: ignore[call-overload]
    now: datetime = finished[0][0]
    idle = [
        i.delivery.id
        for i in items
        if i.delivery.kind == DeliveryKind.poll and i.outcome == DeliveryOutcome.unchanged
    ]
    if idle:
        await session.exec(_DROP_IDLE_POLLS, params={"ids": idle})  # type: ignore[call-overload]
    outcomes = Counter((i.delivery.source, i.delivery.kind, str(i.outcome)) for i in items)
    await metrics_store.increment_many(
        session,
        [
            (catalog.INTAKE_ITEMS, {"source": s, "kind": k, "outcome": o}, float(n))
            for (s, k, o), n in sorted(outcomes.items())
        ],
    )
    for item in items:
        waited = max(0.0, (now - item.delivery.received_at).total_seconds())
        await metrics_store.observe(
            session, catalog.INTAKE_LATENCY, {"source": item.delivery.source}, waited
        )
    await metrics_store.observe(session, catalog.INTAKE_BATCH_SIZE, {}, float(len(items)))
