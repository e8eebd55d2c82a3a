"""Duplicates and repeat problems: detection at creation, merge/unmerge, answers to merged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings, settings_of
from app.dedup.candidates import Asking, find_candidates
from app.dedup.score import Score, TicketView, Verdict, classify, duplicate_score, same_place
from app.directory import reference
from app.errors import ValidationFailed
from app.models.common import Kind, Status
from app.models.routing import DuplicateSuggestion
from app.models.rows import new_row
from app.models.tickets import Ticket, TicketAnswer
from app.outbox import answers_back
from app.tickets.events import record_event
from app.tickets.status import change_status

ACTOR = "system:dedup"


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
        legal=ticket.kind == Kind.fz59_appeal,
    )


def compared(ticket: Ticket) -> bool:
    """Whether duplicate detection looks at this new ticket at all."""
    # An export row without the citizen's words: its text is ours («Сообщение ПОС № N:
    # category»), the same for every row of a category, so it says nothing about sameness; a
    # back-fill must not merge different citizens' appeals.
    return ticket.status in (Status.new, Status.routed) and not ticket.extra.get("text_missing")


def place_for_comparison(ticket: Ticket, ref: reference.Reference) -> None:
    """A post without an address: the house, crossroads, landmark or street its text names
    makes it comparable with reports that carry only an address (set before the INSERT)."""
    if ticket.address_key is None and compared(ticket):
        ticket.address_key = ref.places.place_key(None, ticket.text)


async def check_new_ticket(session: AsyncSession, ticket: Ticket, *, now: datetime) -> None:
    """Link a clear duplicate, store suggestions for likely ones, flag a repeat problem."""
    place_for_comparison(ticket, await reference.current(session))
    await check_new_tickets(session, [(ticket, now)])


async def check_new_tickets(session: AsyncSession, made: Sequence[tuple[Ticket, datetime]]) -> None:
    """``check_new_ticket`` for the tickets one transaction made (each with the moment it was
    made), in the order they were made, with one candidate search for all
    (``app.dedup.candidates``): the outcome is what checking them one by one would give. Their
    place keys are already set (``place_for_comparison``)."""
    ref = await reference.current(session)
    settings = settings_of(session)
    asking = [
        Asking(
            view_of(t, ref.dedup_family(t.category_code, t.department_code)), t.department_code, at
        )
        for t, at in made
        if t.id is not None and compared(t) and (t.address_key is not None or t.lat is not None)
    ]
    if not asking:
        return
    found = await find_candidates(
        session, asking, ref, batch=[t.id for t, _ in made if t.id is not None]
    )
    # Every pair scored once: for the likely mains, then for the verdicts.
    scores = {
        (a.view.id, c.id): duplicate_score(a.view, c)
        for a in asking
        for c in found[a.view.id or 0].open
    }
    by_id: dict[int | None, Ticket] = {t.id: t for t, _ in made}
    by_id.update(await _likely_mains(session, scores, settings=settings, made=by_id))
    merged_here: set[int] = set()  # merged by this call: no longer anyone's candidate
    for a in sorted(asking, key=lambda a: a.view.id or 0):
        ticket = by_id[a.view.id]
        mine = found[a.view.id or 0]
        candidates = [c for c in mine.open if c.id not in merged_here]
        verdicts = classify(
            a.view,
            candidates,
            merge_at=settings.dedup_merge_threshold,
            suggest_at=settings.dedup_suggest_threshold,
            score=lambda new, old: scores[(new.id, old.id)],
        )
        if await _link(session, ticket, verdicts, made=by_id, now=a.now):
            assert ticket.id is not None
            merged_here.add(ticket.id)
        _flag_repeat(session, ticket, a.view, mine.closed)


async def _likely_mains(
    session: AsyncSession,
    scores: Mapping[tuple[int | None, int | None], Score | None],
    *,
    settings: Settings,
    made: Mapping[int | None, Ticket],
) -> dict[int | None, Ticket]:
    """Stored tickets a new one may be merged into (a clear score with it), locked and read in
    one statement instead of one each as the merges come."""
    ids = {
        old
        for (_, old), score in scores.items()
        if old not in made and score is not None and score.score >= settings.dedup_merge_threshold
    }
    if not ids:
        return {}
    rows = await session.exec(
        select(Ticket)
        .where(col(Ticket.id).in_(sorted(ids)))
        .order_by(col(Ticket.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {t.id: t for t in rows.all()}


async def _link(
    session: AsyncSession,
    ticket: Ticket,
    verdicts: list[Verdict],
    *,
    made: Mapping[int | None, Ticket],
    now: datetime,
) -> bool:
    """Merge into a clear duplicate or suggest likely ones; True when merged. ``made``: the
    tickets this transaction made (a main among them is at hand, and already ours to change)."""
    assert ticket.id is not None
    merged = False
    for verdict in verdicts:
        if verdict.action == "merge":
            main = made.get(verdict.candidate_id) or await session.get(
                Ticket, verdict.candidate_id, with_for_update=True
            )
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
                    just_made=True,
                )
                merged = True
                continue
        session.add(
            new_row(
                DuplicateSuggestion,
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
    return merged


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
    just_made: bool = False,
) -> Ticket:
    """Link ``ticket`` as a duplicate of ``main``: status ``merged``, its source and citizen
    kept, and from now on it receives ``main``'s answers through its own source.

    ``just_made``: ``ticket`` was made in this transaction and is merged as it is checked, so no
    suggestion links the two yet and nothing needs writing before the caller's next statement.
    """
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
    if not just_made:
        for row in await _suggestions_between(session, ticket, main):
            row.status, row.decided_at, row.decided_by = "merged", now, actor
    if main.status in (Status.answered, Status.closed):
        last = await _last_final_answer(session, main)
        if last is not None:
            await _forward_answer(session, main, ticket, last, now=now)
    if not just_made:
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
