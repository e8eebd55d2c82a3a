"""Turning source items into tickets exactly once, and newer snapshots into updates.

Every path that brings an item from a source (webhooks, the ПОС poller, Excel imports, replays
from quarantine) goes through ``ingest_draft``. A transaction-scoped advisory lock on the item's
key serialises concurrent deliveries of one item across every process, so the first creates the
ticket and the others see it; the unique constraint on (source, source_id) stays the backstop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.directory import reference
from app.feedback.service import record_source_feedback
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.common import Status
from app.models.drafts import TicketDraft
from app.models.tickets import Ticket, TicketAnswer
from app.tickets.creation import NewTicket, create_tickets
from app.tickets.events import record_event
from app.tickets.lifecycle import TRANSITIONS
from app.tickets.search_text import refresh_search_text
from app.tickets.status import change_status, touch

Outcome = Literal["created", "updated", "unchanged", "stale"]

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_ANSWER_KEYS = text(
    "SELECT data->>'key' FROM ticket_events WHERE ticket_id = :id AND type = 'source_answer'"
)


@dataclass
class IngestResult:
    outcome: Outcome
    ticket: Ticket
    changes: dict[str, Any] = field(default_factory=dict)


class Unread:
    """``ingest_draft`` reads the item's ticket itself."""


UNREAD = Unread()


def item_lock_key(source: str, source_id: str) -> str:
    """The advisory lock key of one source item (every process uses the same)."""
    return f"source-item:{source}:{source_id}"


async def lock_source_item(session: AsyncSession, source: str, source_id: str) -> None:
    """Hold the item's advisory lock until this transaction ends."""
    await session.exec(_LOCK, params={"key": item_lock_key(source, source_id)})  # type: ignore[call-overload]


async def ingest_draft(
    session: AsyncSession,
    draft: TicketDraft,
    *,
    actor: str,
    now: datetime,
    item_locked: bool = False,
    stored: Ticket | Unread | None = UNREAD,
) -> IngestResult:
    """Create the ticket for a source item, or apply a newer snapshot of it; never an older one.

    ``item_locked``: the caller already holds ``item_lock_key`` in this transaction.
    ``stored``: the caller already read the item's ticket (or its absence) under that lock.
    """
    if not item_locked:
        await lock_source_item(session, draft.source, draft.source_id)
    if isinstance(stored, Unread):
        ticket = (
            await session.exec(
                select(Ticket)
                .where(Ticket.source == draft.source, Ticket.source_id == draft.source_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).first()
    else:
        ticket = stored
    if ticket is None:
        result = IngestResult("created", await _create(session, draft, actor=actor, now=now))
    elif is_older(draft.source_updated_at, ticket.source_updated_at):
        result = IngestResult("stale", ticket)
    else:
        changes = await _apply_snapshot(session, ticket, draft, actor=actor, now=now)
        result = IngestResult("updated" if changes else "unchanged", ticket, changes)
    # A citizen's rating (ПОС score, IM close reason) only adds to the ticket: an older snapshot
    # or an undated export row carries it where the source has given none yet, never over the
    # source's rating from a newer one; recording is idempotent per answer.
    await record_source_feedback(
        session,
        result.ticket,
        draft.feedback,
        now=now,
        actor=actor,
        first=result.outcome == "created",
        older=result.outcome == "stale",
    )
    return result


def is_older(incoming: datetime | None, stored: datetime | None) -> bool:
    """An undated snapshot loses to a dated one; dated ones compare by time."""
    if stored is None:
        return False
    return incoming is None or incoming < stored


async def _create(
    session: AsyncSession, draft: TicketDraft, *, actor: str, now: datetime
) -> Ticket:
    return (await create_items(session, [NewTicket(draft, actor, now)]))[0]


async def create_items(session: AsyncSession, new: Sequence[NewTicket]) -> list[Ticket]:
    """The tickets of source items seen for the first time (their item locks held), in order:
    one multi-row write for the lot (``app.tickets.creation``), their answers given in the
    source, and the count of tickets received. Ratings are the caller's (``ingest_draft``)."""
    if not new:
        return []
    ref = await reference.current(session)
    new = [replace(n, draft=_categorised(ref, n.draft)) for n in new]
    tickets = await create_tickets(session, new)
    await _store_new_answers(session, list(zip(tickets, new, strict=True)))
    await metrics_store.increment_many(
        session,
        [
            (catalog.TICKETS_RECEIVED, {"source": n.draft.source, "channel": n.draft.channel}, 1.0)
            for n in new
        ],
    )
    return tickets


def _categorised(ref: reference.Reference, draft: TicketDraft) -> TicketDraft:
    if draft.category_code is not None:
        return draft
    # Unknown names land in the fallback category: a mapping gap, never a lost appeal.
    category = ref.resolve_category(draft.source, [*draft.category_names, draft.source_category])
    return replace(draft, category_code=category.code)


async def _apply_snapshot(
    session: AsyncSession, ticket: Ticket, draft: TicketDraft, *, actor: str, now: datetime
) -> dict[str, Any]:
    """Bring the ticket up to a snapshot that is not older; returns what visibly changed."""
    changes: dict[str, Any] = {}
    status_moved = False
    if draft.source_status and draft.source_status != ticket.source_status:
        # Only a new decision in the source moves our status; a repeat of an old one must not
        # undo what the department did since.
        changes["source_status"] = {"before": ticket.source_status, "after": draft.source_status}
        ticket.source_status = draft.source_status
        if draft.status and draft.status != ticket.status:
            current, target = Status(ticket.status), Status(draft.status)
            if target in TRANSITIONS[current]:
                change_status(
                    session,
                    ticket,
                    target,
                    actor=actor,
                    now=now,
                    reason=draft.status_reason,
                    redirect_to=draft.redirect_to,
                    record_redirect=True,
                )
                status_moved = True
            else:
                changes["status_not_applied"] = {"current": current.value, "source": target.value}
    if draft.text and draft.text != ticket.text:
        changes["text"] = {"before": ticket.text, "after": draft.text}
        ticket.text = draft.text
    known = {_attachment_key(a) for a in ticket.attachments}
    added = [a for a in draft.attachments if _attachment_key(a) not in known]
    if added:
        changes["attachments_added"] = added
        ticket.attachments = [*ticket.attachments, *added]
    extra = {**ticket.extra, **draft.extra}
    if extra != ticket.extra:
        changes["extra"] = {
            k: {"before": ticket.extra.get(k), "after": v}
            for k, v in draft.extra.items()
            if ticket.extra.get(k) != v
        }
        ticket.extra = extra
    for name in ("address", "lat", "lon", "source_url"):
        # Fill what was missing; what staff corrected is not overwritten.
        if getattr(ticket, name) is None and getattr(draft, name) is not None:
            changes[name] = {"before": None, "after": getattr(draft, name)}
            setattr(ticket, name, getattr(draft, name))
    if "text" in changes or "address" in changes:
        refresh_search_text(ticket)
    answers = await _store_source_answers(session, ticket, draft, actor=actor, now=now)
    if answers:
        changes["answers_added"] = answers
    if draft.source_updated_at is not None:
        ticket.source_updated_at = draft.source_updated_at
    if changes:
        if not status_moved:
            touch(ticket, now)
        record_event(session, ticket, actor=actor, type="source_updated", changes=changes)
    return changes


def _attachment_key(attachment: dict[str, Any]) -> str:
    return str(attachment.get("id") or attachment.get("url") or attachment)


async def _store_source_answers(
    session: AsyncSession, ticket: Ticket, draft: TicketDraft, *, actor: str, now: datetime
) -> int:
    """Answers given inside the source, each once; they are already there, nothing to send."""
    if not draft.source_answers:
        return 0
    assert ticket.id is not None
    rows = await session.exec(_ANSWER_KEYS, params={"id": ticket.id})  # type: ignore[call-overload]
    seen = {r[0] for r in rows.all()}
    fresh = [a for a in _distinct(draft.source_answers) if a["key"] not in seen]
    await _add_answers(session, [(ticket, fresh, NewTicket(draft, actor, now))])
    return len(fresh)


async def _store_new_answers(session: AsyncSession, made: list[tuple[Ticket, NewTicket]]) -> None:
    """The source's answers of new tickets (nothing stored yet to compare with)."""
    await _add_answers(
        session,
        [(t, _distinct(n.draft.source_answers), n) for t, n in made if n.draft.source_answers],
    )


def _distinct(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each answer key once, the first occurrence."""
    keys: set[str] = set()
    out = []
    for answer in answers:
        if answer["key"] not in keys:
            keys.add(answer["key"])
            out.append(answer)
    return out


async def _add_answers(
    session: AsyncSession, answers: list[tuple[Ticket, list[dict[str, Any]], NewTicket]]
) -> None:
    """Store answers given in the source (one flush for all), then their timeline events."""
    rows: list[tuple[Ticket, TicketAnswer, dict[str, Any], datetime, str]] = []
    for ticket, given, n in answers:
        assert ticket.id is not None
        for answer in given:
            at = datetime.fromisoformat(answer["at"]) if answer.get("at") else n.now
            row = TicketAnswer(
                ticket_id=ticket.id,
                kind=answer.get("kind", "final"),
                text=answer["text"],
                author=n.actor,
                created_at=at,
                delivery_status="in_source",
            )
            rows.append((ticket, row, answer, at, n.actor))
    if not rows:
        return
    session.add_all([row for _, row, _, _, _ in rows])
    await session.flush()
    for ticket, row, answer, at, actor in rows:
        record_event(
            session,
            ticket,
            actor=actor,
            type="source_answer",
            key=answer["key"],
            answer_id=row.id,
            kind=row.kind,
        )
        if ticket.first_responded_at is None:
            ticket.first_responded_at = at
