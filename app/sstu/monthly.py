"""The monthly report as the API and the CLI give it: who sees which departments, the JSON
(documents, index, problems, statistics), the zip, and the upload."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.directory import service as directory
from app.errors import Forbidden
from app.models.common import Role
from app.models.sstu import (
    SstuAppealIndex,
    SstuProblemPublic,
    SstuReportPublic,
    SstuStatistics,
    SstuStatisticsRow,
    SstuStatus,
    SstuUploadPublic,
)
from app.sstu import upload
from app.sstu.report import MonthReport, archive, build_month, console_path
from app.sstu.rules import parse_month
from app.sstu.service import classifier_names


async def scope_of(session: AsyncSession, principal: Principal) -> str | None:
    """The department whose appeals the caller's report covers (None: the whole city): admins
    and the triage department's managers (the press service) see the city, other managers
    their own department."""
    if principal.role == Role.admin or not principal.department_code:
        return None
    triage = await directory.triage_department(session)
    return None if principal.department_code == triage.code else principal.department_code


async def report_public(session: AsyncSession, report: MonthReport) -> SstuReportPublic:
    stats = report.statistics
    names = await classifier_names(session, [r.section for r in stats.rows])
    return SstuReportPublic(
        month=report.month.label,
        department_id=report.department_id,
        ready=report.ready,
        documents=[e.document for e in report.entries],
        appeals=[
            SstuAppealIndex(
                ticket_id=e.ticket_id,
                number=e.record.number,
                console=console_path(e.ticket_id),
                transferred_to=e.transfers,
            )
            for e in report.entries
        ],
        problems=[
            SstuProblemPublic(
                ticket_id=p.ticket_id,
                number=p.number,
                console=p.console,
                missing=p.missing,
                reported=p.reported,
            )
            for p in report.problems
        ],
        statistics=SstuStatistics(
            rows=[
                SstuStatisticsRow(
                    section=r.section,
                    section_name=names.get(r.section),
                    status=SstuStatus(r.status),
                    channel=r.channel,
                    appeals=r.appeals,
                    questions=r.questions,
                )
                for r in stats.rows
            ],
            appeals=stats.appeals,
            questions=stats.questions,
            questions_by_status=stats.questions_by_status,
            questions_by_section=stats.questions_by_section,
        ),
    )


async def month_report(
    session: AsyncSession, month: str, *, principal: Principal, tz: tzinfo
) -> MonthReport:
    """The caller's month (the applicant's fields only for who may read personal data)."""
    return await build_month(
        session,
        parse_month(month, tz),
        tz=tz,
        department=await scope_of(session, principal),
        with_applicants=principal.may_read_personal_data,
    )


def month_archive(report: MonthReport) -> tuple[str, bytes]:
    """(file name, zip bytes) of the month's documents."""
    return f"sstu-{report.month.label}.zip", archive(report)


async def queue_upload(
    session: AsyncSession, month: str, *, principal: Principal, tz: tzinfo, now: datetime
) -> SstuUploadPublic:
    """Queue the whole city's month for the relay (409 before the month is over, or while
    appeals lack codes or outcomes); the city's report is sent by admins and the press
    service, not by one department."""
    if await scope_of(session, principal) is not None:
        raise Forbidden("the city's ССТУ.РФ upload is sent by admins and the press service")
    result = await upload.queue_month(session, parse_month(month, tz), tz=tz, now=now)
    return SstuUploadPublic(month=result.month, documents=result.documents, queued=result.queued)
