"""A month's ССТУ.РФ report from the database: which 59-ФЗ appeals belong to it, each one's
document, what keeps an appeal from being reported, and the statistics table."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.connectors.sstu.document import appeal_json, format_errors
from app.models.sstu import AppealRecord, ApplicantRecord, SstuClassifierEntry, SstuProfile
from app.models.tickets import Applicant, Ticket
from app.sstu import questions as sstu_questions
from app.sstu.documents import Profile, Statistics, appeal_record, date_gaps, statistics
from app.sstu.rules import (
    DONE_STATUSES,
    Lead,
    Month,
    QuestionFacts,
    TicketFacts,
    belongs_to_month,
    closing_gaps,
    finished_at,
)

# The net is wide (an appeal of an earlier month still open, or decided in this one); the pure
# rule (belongs_to_month) decides. An appeal's month is that of its receipt, ``created_at``
# (the source's date), not of the hub's ``received_at``: ix_tickets_created serves the range.
_MONTH_IDS = text(
    "SELECT t.id FROM tickets t WHERE t.kind = 'fz59_appeal' AND t.created_at < :end "
    "AND (CAST(:department AS text) IS NULL OR t.department_code = :department) "
    "AND (t.created_at >= :start OR t.status NOT IN ('answered', 'closed', 'rejected') "
    "  OR t.answered_at >= :start OR t.closed_at >= :start "
    "  OR EXISTS (SELECT 1 FROM sstu_questions q WHERE q.ticket_id = t.id "
    "             AND q.decided_at >= :start)) "
    "ORDER BY t.created_at, t.id"
)


def console_path(ticket_id: int) -> str:
    return f"/console/tickets/{ticket_id}"


@dataclass(frozen=True)
class ReportProblem:
    """An appeal of the month that is not ready for ССТУ.РФ, and why."""

    ticket_id: int | None
    number: str | None
    missing: list[str]
    reported: bool  # its document is still in the month's upload (with a lifecycle status)

    @property
    def console(self) -> str | None:
        return console_path(self.ticket_id) if self.ticket_id is not None else None


@dataclass(frozen=True)
class ReportEntry:
    ticket_id: int
    channel: str
    record: AppealRecord
    document: dict[str, Any]
    transfers: list[str]  # whom its transferred questions went to (names)


@dataclass
class MonthReport:
    month: Month
    department_id: str | None
    entries: list[ReportEntry] = field(default_factory=list)
    problems: list[ReportProblem] = field(default_factory=list)

    @property
    def statistics(self) -> Statistics:
        return statistics((e.record, e.channel) for e in self.entries)

    @property
    def ready(self) -> bool:
        return not self.problems


def ticket_facts(t: Ticket) -> TicketFacts:
    assert t.id is not None
    return TicketFacts(
        ticket_id=t.id,
        number=t.number,
        status=t.status,
        channel=t.channel,
        department_code=t.department_code,
        created_at=t.created_at,
        registered_at=t.registered_at,
        answered_at=t.answered_at,
        closed_at=t.closed_at,
        extended=t.extension_count > 0,
        duplicate_of_id=t.duplicate_of_id,
    )


def applicant_record(applicant: Applicant | None, fields: Sequence[str]) -> ApplicantRecord:
    """The applicant's fields the profile asks for (none once personal data was purged)."""
    if applicant is None or applicant.purged_at is not None:
        return ApplicantRecord()
    parts = [p for p in (applicant.surname, applicant.name, applicant.patronymic) if p]
    name = applicant.full_name or " ".join(parts) or None
    return ApplicantRecord(
        name=name if "name" in fields else None,
        address=applicant.post_address if "address" in fields else None,
        email=applicant.email if "email" in fields else None,
    )


async def _tickets(session: AsyncSession, ids: Sequence[int]) -> dict[int, Ticket]:
    if not ids:
        return {}
    rows = await session.exec(select(Ticket).where(col(Ticket.id).in_(list(ids))))
    return {t.id: t for t in rows.all() if t.id is not None}


async def _applicants(session: AsyncSession, tickets: Sequence[Ticket]) -> dict[int, Applicant]:
    ids = [t.applicant_id for t in tickets if t.applicant_id is not None]
    if not ids:
        return {}
    rows = await session.exec(select(Applicant).where(col(Applicant.id).in_(ids)))
    return {a.id: a for a in rows.all() if a.id is not None}


async def _live_codes(session: AsyncSession) -> set[str]:
    rows = await session.exec(
        select(SstuClassifierEntry.code).where(
            SstuClassifierEntry.level == 4,
            SstuClassifierEntry.retired == False,  # noqa: E712
        )
    )
    return set(rows.all())


@dataclass
class _Month:
    """What one month's build has loaded."""

    tickets: list[Ticket]
    questions: dict[int, list[QuestionFacts]]
    leads: dict[int, Lead]
    direct: dict[int, bool]
    applicants: dict[int, Applicant]
    live_codes: set[str]
    profile: SstuProfile


async def _load(
    session: AsyncSession, month: Month, department: str | None, with_applicants: bool
) -> _Month:
    ids = (
        await session.exec(  # type: ignore[call-overload]
            _MONTH_IDS,
            params={
                "start": month.start,
                "end": month.end,
                "department": department,
            },
        )
    ).all()
    by_id = await _tickets(session, [r[0] for r in ids])
    tickets = [by_id[r[0]] for r in ids if r[0] in by_id]
    mains = await _tickets(
        session, sorted({t.duplicate_of_id for t in tickets if t.duplicate_of_id is not None})
    )
    questions = await sstu_questions.questions_of(session, [*tickets, *mains.values()])
    leads = {i: Lead(ticket_facts(m), tuple(questions[i])) for i, m in mains.items()}
    return _Month(
        tickets=tickets,
        questions=questions,
        leads=leads,
        direct=await sstu_questions.directness(session, [t.id for t in tickets if t.id]),
        applicants=await _applicants(session, tickets) if with_applicants else {},
        live_codes=await _live_codes(session),
        profile=await sstu_questions.load_profile(session),
    )


def _missing(t: Ticket, qs: list[QuestionFacts], live: set[str]) -> tuple[list[str], bool]:
    """(what is missing, whether the document can still be built)."""
    missing: list[str] = []
    buildable = True
    for q in qs:
        if not q.code:
            missing.append(f"question {q.position}: a classifier code")
            buildable = False
        elif q.code not in live:
            missing.append(f"question {q.position}: {q.code} is not in the loaded classifier")
        if q.status == "Transferred" and not q.transfer_department_id:
            missing.append(f"question {q.position}: the transfer addressee's ССТУ id")
            buildable = False
    if t.status in DONE_STATUSES:
        for gap in closing_gaps(qs):
            if gap not in missing and "classifier code" not in gap:
                missing.append(gap)
    return missing, buildable


async def build_month(
    session: AsyncSession,
    month: Month,
    *,
    tz: tzinfo,
    department: str | None = None,
    with_applicants: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> MonthReport:
    """The month's documents, problems and statistics; ``with_applicants`` adds the applicant
    fields the city's profile asks for (the API adds them only for who may read them)."""
    loaded = await _load(session, month, department, with_applicants)
    profile = Profile(loaded.profile.department_id, dict(loaded.profile.department_ids))
    report = MonthReport(month=month, department_id=profile.department_id)
    for t in loaded.tickets:
        assert t.id is not None
        facts, qs = ticket_facts(t), loaded.questions[t.id]
        lead = loaded.leads.get(t.duplicate_of_id) if t.duplicate_of_id else None
        if progress is not None:
            progress(1, len(loaded.tickets))
        if not belongs_to_month(facts, finished_at(facts, qs, lead), month):
            continue
        missing, buildable = _missing(t, qs, loaded.live_codes)
        if profile.department_of(t.department_code) is None:
            missing.append("the department's ССТУ id (sstu.department_id in the city config)")
            buildable = False
        if not buildable:
            report.problems.append(ReportProblem(t.id, t.number, missing, reported=False))
            continue
        record = appeal_record(
            facts,
            qs,
            month=month,
            tz=tz,
            profile=profile,
            direct=loaded.direct.get(t.id, True),
            lead=lead,
            applicant=applicant_record(
                loaded.applicants.get(t.applicant_id or 0), loaded.profile.applicant_fields
            ),
        )
        document = appeal_json(record)
        # Dates contradicting each other, or (a safety net) a case the rules above missed: a
        # problem to fix, never a bad upload.
        invalid = date_gaps(record) or format_errors(document)
        if missing or invalid:
            report.problems.append(
                ReportProblem(t.id, t.number, missing + invalid, reported=not invalid)
            )
        if not invalid:
            transfers = [q.transfer.to for q in record.questions if q.transfer is not None]
            report.entries.append(ReportEntry(t.id, t.channel, record, document, transfers))
    return report


def archive(report: MonthReport, *, progress: Callable[[int, int], None] | None = None) -> bytes:
    """A zip of one JSON document per appeal, named by its number."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for entry in report.entries:
            body = json.dumps(entry.document, ensure_ascii=False, indent=2)
            zf.writestr(f"{report.month.label}/{entry.record.number}.json", body)
            if progress is not None:
                progress(1, len(report.entries))
    return buffer.getvalue()
