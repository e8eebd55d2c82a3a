"""Duplicates and repeat problems: detection at creation, merge/unmerge, answers to merged."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import settings_of
from app.dedup.place import has_house, street_of
from app.dedup.score import (
    REPEAT_WINDOW,
    WINDOW,
    TicketView,
    bounding_box,
    classify,
    same_place,
)
from app.directory import reference
from app.errors import ValidationFailed
from app.models.common import Status
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket, TicketAnswer
from app.outbox import answers_back
from app.tickets.events import record_event
from app.tickets.status import change_status

ACTOR = "system:dedup"
_FIELDS = "id, category_code, text, created_at, lat, lon, address_key, department_code"
_NO_BOX: dict[str, float | None] = {
    "lat_min": None,
    "lat_max": None,
    "lon_min": None,
    "lon_max": None,
}

# One duplicate family (Reference.dedup_family): its categories, and the fallback category's
# tickets that routing gave to the same department.
_FAMILY = (
    "(category_code = ANY(:categories) "
    "OR (category_code = :fallback AND department_code = :department))"
)
# The status list is literal so the planner can use the partial indexes of migration 0007.
_CANDIDATES_SQL = (
    f"SELECT {_FIELDS} FROM tickets "
    "WHERE status IN ('new','routed','in_progress','on_hold') AND " + _FAMILY + " "
    "AND id <> :id AND created_at >= :since AND ("
    "(address_key IS NOT NULL AND (address_key = :key OR address_key = :street)) OR "
    "(lat IS NOT NULL AND lat BETWEEN :lat_min AND :lat_max AND lon BETWEEN :lon_min AND :lon_max)"
    ") ORDER BY created_at DESC LIMIT 50"
)
_RECENTLY_CLOSED_SQL = (
    f"SELECT {_FIELDS} FROM tickets "
    "WHERE status = 'closed' AND " + _FAMILY + " AND closed_at >= :since AND ("
    "(address_key IS NOT NULL AND address_key = :key) OR "
    "(lat IS NOT NULL AND lat BETWEEN :lat_min AND :lat_max AND lon BETWEEN :lon_min AND :lon_max)"
    ") ORDER BY closed_at DESC LIMIT 20"
)
_CANDIDATES = text(_CANDIDATES_SQL)


def _prefixed(sql: str, prefix: str) -> str:
    return re.sub(r"(?<!:):(\w+)", rf":{prefix}\1", sql)


# A new ticket asks both questions at once: one round trip instead of two.
_OPEN_AND_CLOSED = text(
    f"SELECT 'open' AS side, o.* FROM ({_prefixed(_CANDIDATES_SQL, 'o_')}) o UNION ALL "
    f"SELECT 'closed', c.* FROM ({_prefixed(_RECENTLY_CLOSED_SQL, 'c_')}) c"
)


def view_of(ticket: Ticket, family: str | None = None) -> TicketView:
    """What detection compares; ``family`` (Reference.dedup_family) stands for the category."""
    return TicketView(
        id=ticket.id,
        category=family or ticket.category_code,
        text=ticket.text,
        created_at=ticket.created_at,
        lat=ticket.lat,
        lon=ticket.lon,
        address_key=ticket.address_key,
    )


def _family_params(ref: reference.Reference, family: str) -> dict[str, object]:
    department = family.removeprefix("dept:") if family.startswith("dept:") else None
    return {
        "categories": ref.dedup_categories(family),
        "fallback": ref.fallback_category().code,
        "department": department,
    }


def _params(view: TicketView, *, since: datetime, metres: float) -> dict[str, object]:
    box: dict[str, float | None] = _NO_BOX
    if view.lat is not None and view.lon is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(view.lat, view.lon, metres)
        box = {"lat_min": lat_min, "lat_max": lat_max, "lon_min": lon_min, "lon_max": lon_max}
    key = view.address_key
    # A report of a house also finds reports of its whole street (scored as the street only).
    street = street_of(key) if has_house(key) else None
    return {"key": key, "street": street, "since": since, **box}


async def _open_and_closed(
    session: AsyncSession, view: TicketView, ref: reference.Reference, *, now: datetime
) -> tuple[list[TicketView], list[TicketView]]:
    """Open candidates within 250 m and 30 days; closed ones within 100 m and 90 days."""
    family = _family_params(ref, view.category)
    open_params = {**_params(view, since=view.created_at - WINDOW, metres=250.0), "id": view.id}
    open_params.update(family)
    closed_params = {**_params(view, since=now - REPEAT_WINDOW, metres=100.0), **family}
    params = {f"o_{k}": v for k, v in open_params.items()}
    params.update({f"c_{k}": v for k, v in closed_params.items()})
    rows = (await session.exec(_OPEN_AND_CLOSED, params=params)).all()  # type: ignore[call-overload]
    found: dict[str, list[TicketView]] = {"open": [], "closed": []}
    for r in rows:
        family_of = ref.dedup_family(r[2], r[8])
        found[r[0]].append(TicketView(r[1], family_of, r[3], r[4], r[5], r[6], r[7]))
    return found["open"], found["closed"]


async def check_new_ticket(session: AsyncSession, ticket: Ticket, *, now: datetime) -> None:
    """Link a clear duplicate, store suggestions for likely ones, flag a repeat problem."""
    if ticket.status not in (Status.new, Status.routed) or ticket.id is None:
        return
    if ticket.extra.get("text_missing"):
        # An export row without the citizen's words: its text is ours («Сообщение ПОС № N:
        # category»), the same for every row of a category, so it says nothing about sameness;
        # a back-fill must not merge different citizens' appeals.
        return
    ref = await reference.current(session)
    if ticket.address_key is None:
        # A post without an address: the house, crossroads, landmark or street its text names
        # makes it comparable with reports that carry only an address.
        ticket.address_key = ref.places.place_key(None, ticket.text)
        if ticket.address_key is None and ticket.lat is None:
            return  # no place given, nothing to compare by
    settings = settings_of(session)
    view = view_of(ticket, ref.dedup_family(ticket.category_code, ticket.department_code))
    candidates, closed = await _open_and_closed(session, view, ref, now=now)
    verdicts = classify(
        view,
        candidates,
        merge_at=settings.dedup_merge_threshold,
        suggest_at=settings.dedup_suggest_threshold,
    )
    for verdict in verdicts:
        if verdict.action == "merge":
            main = await session.get(Ticket, verdict.candidate_id, with_for_update=True)
            # Merging moves the ticket to the main one's department. Automatically that is
            # done only within a department, or for what routing sent to triage; a clear
            # duplicate in another department is a suggestion someone decides on (otherwise a
            # ticket a department just recorded could vanish from its own view).
            if (
                main is not None
                and main.status != Status.merged
                and (main.department_code == ticket.department_code or ticket.status == Status.new)
            ):
                await merge(
                    session,
                    ticket,
                    main,
                    actor=ACTOR,
                    reason="duplicate found automatically",
                    now=now,
                    details=verdict.score.reasons(),
                )
                continue
        session.add(
            DuplicateSuggestion(
                ticket_id=ticket.id,
                candidate_id=verdict.candidate_id,
                score=verdict.score.score,
                reasons=verdict.score.reasons(),
                created_at=now,
            )
        )
        record_event(
            session,
            ticket,
            actor=ACTOR,
            type="duplicate_suggested",
            candidate=verdict.candidate_id,
            **verdict.score.reasons(),
        )
    _flag_repeat(session, ticket, view, closed)


def _flag_repeat(
    session: AsyncSession, ticket: Ticket, view: TicketView, closed: list[TicketView]
) -> None:
    """Mark a ticket that repeats a problem closed here in the last 90 days."""
    for earlier in closed:
        if same_place(view, earlier):
            ticket.repeat_of_id = earlier.id
            record_event(session, ticket, actor=ACTOR, type="repeat_flagged", repeat_of=earlier.id)
            return


async def merge(
    session: AsyncSession,
    ticket: Ticket,
    main: Ticket,
    *,
    actor: str,
    reason: str | None,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> Ticket:
    """Link ``ticket`` as a duplicate of ``main``: status ``merged``, its source and citizen
    kept, and from now on it receives ``main``'s answers through its own source."""
    if main.id == ticket.id:
        raise ValidationFailed("a ticket cannot be merged into itself", field="into")
    if main.status == Status.merged:
        raise ValidationFailed(
            f"ticket {main.id} is itself merged into {main.duplicate_of_id}; merge into that",
            field="into",
        )
    if main.status == Status.rejected:
        raise ValidationFailed("a ticket cannot be merged into a rejected one", field="into")
    previous_department = ticket.department_code
    change_status(
        session,
        ticket,
        Status.merged,
        actor=actor,
        now=now,
        reason=reason,
        duplicate_of=main.id,
        department_before=previous_department,
        **(details or {}),
    )
    ticket.duplicate_of_id = main.id
    ticket.department_code = main.department_code
    record_event(session, main, actor=actor, type="duplicate_linked", duplicate=ticket.id)
    for row in await _suggestions_between(session, ticket, main):
        row.status, row.decided_at, row.decided_by = "merged", now, actor
    if main.status in (Status.answered, Status.closed):
        last = await _last_final_answer(session, main)
        if last is not None:
            await _forward_answer(session, main, ticket, last, now=now)
    await session.flush()
    return ticket


async def unmerge(
    session: AsyncSession, ticket: Ticket, *, actor: str, reason: str | None, now: datetime
) -> Ticket:
    """Make a wrongly linked duplicate its own piece of work again (status ``routed``)."""
    if ticket.status != Status.merged or ticket.duplicate_of_id is None:
        raise ValidationFailed(f"ticket {ticket.id} is not merged", field="ticket")
    main_id = ticket.duplicate_of_id
    change_status(
        session,
        ticket,
        Status.routed,
        actor=actor,
        now=now,
        reason=reason,
        event_reason=reason or "unmerged",
        duplicate_of_before=main_id,
    )
    main = await session.get(Ticket, main_id)
    if main is not None:
        record_event(session, main, actor=actor, type="duplicate_unlinked", duplicate=ticket.id)
    return ticket


async def _suggestions_between(
    session: AsyncSession, a: Ticket, b: Ticket
) -> list[DuplicateSuggestion]:
    rows = await session.exec(
        select(DuplicateSuggestion).where(
            DuplicateSuggestion.status == "open",
            col(DuplicateSuggestion.ticket_id).in_([a.id, b.id]),
            col(DuplicateSuggestion.candidate_id).in_([a.id, b.id]),
        )
    )
    return list(rows.all())


async def _last_final_answer(session: AsyncSession, ticket: Ticket) -> TicketAnswer | None:
    rows = await session.exec(
        select(TicketAnswer)
        .where(TicketAnswer.ticket_id == ticket.id, TicketAnswer.kind == "final")
        .order_by(col(TicketAnswer.id).desc())
        .limit(1)
    )
    return rows.first()


async def _forward_answer(
    session: AsyncSession, main: Ticket, merged: Ticket, answer: TicketAnswer, *, now: datetime
) -> None:
    assert merged.id is not None
    copy = TicketAnswer(
        ticket_id=merged.id, kind=answer.kind, text=answer.text, author=answer.author
    )
    session.add(copy)
    await session.flush()
    merged.first_responded_at = merged.first_responded_at or now
    if answer.kind == "final":
        merged.answered_at = now
    record_event(
        session,
        merged,
        actor=ACTOR,
        type="answer",
        answer_id=copy.id,
        kind=answer.kind,
        from_ticket=main.id,
        from_answer=answer.id,
    )
    await answers_back.on_answer(session, merged, copy, now=now)


async def answer_merged(
    session: AsyncSession, main: Ticket, answer: TicketAnswer, *, now: datetime
) -> int:
    """Send an answer given on ``main`` to every ticket merged into it, each via its source."""
    rows = await session.exec(
        select(Ticket)
        .where(Ticket.duplicate_of_id == main.id, Ticket.status == Status.merged)
        .order_by(col(Ticket.id))
    )
    merged = list(rows.all())
    for ticket in merged:
        await _forward_answer(session, main, ticket, answer, now=now)
    return len(merged)
