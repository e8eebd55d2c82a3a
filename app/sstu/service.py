"""ССТУ.РФ for one appeal, as staff see and set it, and the classifier as clients read it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.errors import Forbidden
from app.models.common import Kind, Role
from app.models.sstu import (
    ClassifierEntryPublic,
    SstuAppealPublic,
    SstuAppealUpdate,
    SstuClassifierEntry,
    SstuOutcome,
    SstuQuestionPublic,
    SstuTransferPublic,
    WithoutAnswerGround,
)
from app.models.tickets import Ticket
from app.sstu import questions as sstu_questions
from app.sstu.rules import QuestionFacts, closing_gaps, section_of
from app.tickets.events import record_event
from app.tickets.service import get_visible_ticket

STAFF = (Role.operator, Role.manager, Role.admin)


async def classifier_names(session: AsyncSession, codes: Iterable[str | None]) -> dict[str, str]:
    """Code → name for the given codes and their sections."""
    wanted = {c for c in codes if c} | {section_of(c) for c in codes if c}
    if not wanted:
        return {}
    rows = await session.exec(
        select(SstuClassifierEntry).where(col(SstuClassifierEntry.code).in_(wanted))
    )
    return {r.code: r.name for r in rows.all()}


def _question_public(q: QuestionFacts, names: dict[str, str]) -> SstuQuestionPublic:
    transfer = None
    if q.transfer_to and q.transfer_on and q.transfer_number:
        transfer = SstuTransferPublic(
            to=q.transfer_to,
            department_id=q.transfer_department_id,
            date=q.transfer_on,
            number=q.transfer_number,
        )
    return SstuQuestionPublic(
        position=q.position,
        code=q.code,
        name=names.get(q.code) if q.code else None,
        section=section_of(q.code) if q.code else None,
        stored=q.stored,
        status=SstuOutcome(q.status) if q.status else None,
        actions_taken=q.actions_taken,
        ground=WithoutAnswerGround(q.ground) if q.ground else None,
        transfer=transfer,
        decided_at=q.decided_at,
    )


async def appeal_public(session: AsyncSession, ticket: Ticket) -> SstuAppealPublic:
    """The appeal's questions as stored (or by default) and what closing it still needs."""
    assert ticket.id is not None
    questions = (await sstu_questions.questions_of(session, [ticket]))[ticket.id]
    direct = (await sstu_questions.directness(session, [ticket.id])).get(ticket.id, True)
    names = await classifier_names(session, [q.code for q in questions])
    reported = ticket.kind == Kind.fz59_appeal
    return SstuAppealPublic(
        ticket_id=ticket.id,
        number=ticket.number,
        reported=reported,
        direct=direct,
        questions=[_question_public(q, names) for q in questions],
        missing=closing_gaps(questions, status=ticket.status) if reported else [],
    )


async def get_appeal(
    session: AsyncSession, ticket_id: int, *, principal: Principal
) -> SstuAppealPublic:
    """The ticket's ССТУ.РФ questions (another department's ticket is a 404)."""
    ticket = await get_visible_ticket(session, ticket_id, principal=principal)
    return await appeal_public(session, ticket)


async def update_appeal(
    session: AsyncSession,
    ticket_id: int,
    data: SstuAppealUpdate,
    *,
    principal: Principal,
    now: datetime,
) -> SstuAppealPublic:
    """Set the appeal's questions (codes and outcomes) and whether it came directly."""
    if principal.role not in STAFF:
        raise Forbidden(f"role '{principal.role}' cannot code appeals")
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    rows = await sstu_questions.store_questions(
        session, ticket, data.questions, direct=data.direct, actor=principal.actor, now=now
    )
    record_event(
        session,
        ticket,
        actor=principal.actor,
        type="sstu_questions",
        questions=[{"code": r.code, "status": r.status} for r in rows],
        direct=data.direct,
    )
    return await appeal_public(session, ticket)


async def list_classifier(
    session: AsyncSession, *, questions_only: bool, include_retired: bool
) -> list[ClassifierEntryPublic]:
    """The loaded classifier, by code."""
    query = select(SstuClassifierEntry).order_by(col(SstuClassifierEntry.code))
    if questions_only:
        query = query.where(SstuClassifierEntry.level == 4)
    if not include_retired:
        query = query.where(SstuClassifierEntry.retired == False)  # noqa: E712
    rows = await session.exec(query)
    return [
        ClassifierEntryPublic(
            code=r.code, name=r.name, level=r.level, assumption=r.assumption, retired=r.retired
        )
        for r in rows.all()
    ]
