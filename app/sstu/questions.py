"""An appeal's ССТУ.РФ questions: read (stored, else the category's default), set by staff,
and required when a 59-ФЗ appeal is closed (the hook ``app.tickets.actions`` calls)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import ValidationFailed
from app.models.common import Kind, Status
from app.models.sstu import (
    SstuAppeal,
    SstuClassifierEntry,
    SstuOutcome,
    SstuProfile,
    SstuQuestion,
    SstuQuestionIn,
)
from app.models.tickets import Ticket
from app.sstu.rules import DONE_STATUSES, QuestionFacts, closing_gaps

# A category without a default of its own takes its parent's.
_DEFAULTS = text(
    "SELECT c.code, COALESCE(own.question_code, up.question_code) "
    "FROM categories c "
    "LEFT JOIN sstu_category_questions own ON own.category_code = c.code "
    "LEFT JOIN sstu_category_questions up ON up.category_code = c.parent_code"
)
CLOSING = frozenset({Status.answered, Status.closed, Status.rejected})
# When the ticket last moved to rejected (the timeline's status change).
_REJECTED_AT = text(
    "SELECT max(e.at) FROM ticket_events e WHERE e.ticket_id = :id "
    "AND e.type = 'status_changed' AND e.data->>'after' = 'rejected'"
)


def facts_of(row: SstuQuestion) -> QuestionFacts:
    return QuestionFacts(
        position=row.position,
        code=row.code,
        stored=True,
        status=row.status,
        actions_taken=row.actions_taken,
        ground=row.ground,
        transfer_to=row.transfer_to,
        transfer_department_id=row.transfer_department_id,
        transfer_on=row.transfer_on,
        transfer_number=row.transfer_number,
        decided_at=row.decided_at,
    )


async def category_defaults(session: AsyncSession) -> dict[str, str | None]:
    """Category code → its default question code (its own, else its parent's)."""
    rows = await session.exec(_DEFAULTS)  # type: ignore[call-overload]
    return {r[0]: r[1] for r in rows.all()}


async def stored_rows(session: AsyncSession, ticket_ids: Iterable[int]) -> list[SstuQuestion]:
    ids = list(ticket_ids)
    if not ids:
        return []
    rows = await session.exec(
        select(SstuQuestion)
        .where(col(SstuQuestion.ticket_id).in_(ids))
        .order_by(col(SstuQuestion.ticket_id), col(SstuQuestion.position))
    )
    return list(rows.all())


async def questions_of(
    session: AsyncSession, tickets: Sequence[Ticket]
) -> dict[int, list[QuestionFacts]]:
    """Each ticket's questions: those staff stored, else one with its category's default."""
    stored: dict[int, list[QuestionFacts]] = {}
    for row in await stored_rows(session, [t.id for t in tickets if t.id is not None]):
        stored.setdefault(row.ticket_id, []).append(facts_of(row))
    defaults = await category_defaults(session) if len(stored) < len(tickets) else {}
    out: dict[int, list[QuestionFacts]] = {}
    for t in tickets:
        assert t.id is not None
        out[t.id] = stored.get(t.id) or [
            QuestionFacts(position=1, code=defaults.get(t.category_code), stored=False)
        ]
    return out


async def directness(session: AsyncSession, ticket_ids: Iterable[int]) -> dict[int, bool]:
    """Ticket id → sent to us directly (absent: yes)."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    rows = await session.exec(select(SstuAppeal).where(col(SstuAppeal.ticket_id).in_(ids)))
    return {r.ticket_id: r.is_direct for r in rows.all()}


async def load_profile(session: AsyncSession) -> SstuProfile:
    return await session.get(SstuProfile, 1) or SstuProfile(id=1)


def _addressee_id(profile: SstuProfile, name: str) -> str | None:
    wanted = name.strip().casefold()
    for a in profile.addressees:
        if str(a.get("name", "")).strip().casefold() == wanted:
            return str(a.get("department_id") or "") or None
    return None


def _refuse(index: int, field: str, message: str) -> ValidationFailed:
    where = f"questions[{index}].{field}"
    return ValidationFailed(
        f"{where}: {message}",
        field=field,
        errors=[{"field": f"body.{where}", "message": message, "type": "value_error"}],
    )


def _check_details(index: int, q: SstuQuestionIn) -> None:
    """A detail belongs to its outcome only: refuse one given with another outcome."""
    for value, field, outcome in (
        (q.actions_taken, "actions_taken", SstuOutcome.Supported),
        (q.ground, "ground", SstuOutcome.LeftWithoutAnswer),
        (q.transfer, "transfer", SstuOutcome.Transferred),
    ):
        if value is not None and q.status != outcome:
            raise _refuse(index, field, f"{field} goes with status {outcome.value} only")


async def _check_codes(session: AsyncSession, questions: Sequence[SstuQuestionIn]) -> None:
    codes = {q.code for q in questions}
    rows = await session.exec(
        select(SstuClassifierEntry).where(
            col(SstuClassifierEntry.code).in_(codes),
            SstuClassifierEntry.level == 4,
            SstuClassifierEntry.retired == False,  # noqa: E712
        )
    )
    known = {r.code for r in rows.all()}
    for index, q in enumerate(questions):
        if q.code not in known:
            raise _refuse(index, "code", f"{q.code} is not a question of the loaded classifier")


def _row_values(q: SstuQuestionIn, profile: SstuProfile) -> dict[str, Any]:
    transfer = q.transfer
    return {
        "code": q.code,
        "status": q.status.value if q.status else None,
        "actions_taken": q.actions_taken,
        "ground": q.ground.value if q.ground else None,
        "transfer_to": transfer.to if transfer else None,
        "transfer_department_id": (
            (transfer.department_id or _addressee_id(profile, transfer.to)) if transfer else None
        ),
        "transfer_on": transfer.date if transfer else None,
        "transfer_number": transfer.number if transfer else None,
    }


async def store_questions(
    session: AsyncSession,
    ticket: Ticket,
    questions: Sequence[SstuQuestionIn],
    *,
    direct: bool | None,
    actor: str,
    now: datetime,
) -> list[SstuQuestion]:
    """Replace the appeal's questions. On an open appeal an outcome waits for the closing move;
    on one already closed it is a correction, dated when the appeal was decided (its earlier
    decision, else :func:`decided_moment`)."""
    assert ticket.id is not None
    for index, q in enumerate(questions):
        _check_details(index, q)
    await _check_codes(session, questions)
    profile = await load_profile(session)
    before = {r.position: r for r in await stored_rows(session, [ticket.id])}
    for row in before.values():
        await session.delete(row)
    await session.flush()
    done = ticket.status in DONE_STATUSES
    decided_then = await decided_moment(session, ticket, now=now) if done else None
    rows = []
    for position, q in enumerate(questions, start=1):
        values = _row_values(q, profile)
        old = before.get(position)
        decided = None
        if done and values["status"]:
            decided = (old.decided_at if old is not None else None) or decided_then
        row = SstuQuestion(
            ticket_id=ticket.id,
            position=position,
            decided_at=decided,
            updated_at=now,
            updated_by=actor,
            **values,
        )
        session.add(row)
        rows.append(row)
    if direct is not None:
        await _store_direct(session, ticket.id, direct, actor=actor, now=now)
    await session.flush()
    return rows


async def decided_moment(session: AsyncSession, ticket: Ticket, *, now: datetime) -> datetime:
    """When a closed appeal without a recorded outcome was decided: a rejected one (only the
    source rejects without an outcome, e.g. ПОС moderation) when it was rejected — its move to
    rejected on the timeline, else (it arrived rejected) the source's date of that snapshot,
    else its receipt; an answered or closed one when it was answered, else closed."""
    assert ticket.id is not None
    if ticket.status == Status.rejected:
        rows = await session.exec(_REJECTED_AT, params={"id": ticket.id})  # type: ignore[call-overload]
        return rows.scalar() or ticket.source_updated_at or ticket.created_at
    return ticket.answered_at or ticket.closed_at or now


async def _store_direct(
    session: AsyncSession, ticket_id: int, direct: bool, *, actor: str, now: datetime
) -> None:
    row = await session.get(SstuAppeal, ticket_id)
    if row is None:
        session.add(
            SstuAppeal(ticket_id=ticket_id, is_direct=direct, updated_at=now, updated_by=actor)
        )
    else:
        row.is_direct, row.updated_at, row.updated_by = direct, now, actor


async def require_outcome(
    session: AsyncSession, ticket: Ticket, target: Status, *, now: datetime
) -> None:
    """Before a 59-ФЗ appeal is answered, closed or rejected by staff: every question needs a
    code and an outcome with its details, else a 422 naming what is missing. An appeal
    reopened since its outcomes took effect needs them confirmed (set again). The outcomes of
    an appeal closed from open take effect now."""
    if ticket.kind != Kind.fz59_appeal or target not in CLOSING:
        return
    assert ticket.id is not None
    questions = (await questions_of(session, [ticket]))[ticket.id]
    gaps = closing_gaps(questions, status=ticket.status)
    if gaps:
        raise ValidationFailed(
            "closing a 59-ФЗ appeal needs the ССТУ.РФ outcome of each of its questions "
            f"(set them with PUT /api/v1/tickets/{ticket.id}/sstu); missing: " + "; ".join(gaps),
            field="sstu",
            errors=[{"field": "sstu", "message": gap, "type": "missing"} for gap in gaps],
        )
    if ticket.status in DONE_STATUSES:
        return  # answered → closed: decided when it was answered
    for row in await stored_rows(session, [ticket.id]):
        row.decided_at = now
