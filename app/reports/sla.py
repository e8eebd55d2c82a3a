"""The SLA report: on-time share, response and resolution percentiles, breaches by category/source.

Tickets are taken by ``created_at`` in ``[from, to)``; rejected and merged ones are not work
that had a deadline and are left out. A ticket is *on time* when it was answered by its
resolution deadline, *missed* when answered after it or still open past it (a held ticket is
judged at the moment it was held: its clock stands still), and *pending* when still open
before it (or without one). An answer is judged against the deadline in force when it was
given, and a reopen does not erase that verdict: a ticket marked breached on its resolution
target (``sla_marks``: a late answer, or open past the deadline) is missed even after a reopen
or an extension moved the deadline; a reopened ticket whose answer came on time stays on time
until it runs past its new deadline (then it is missed). This is the one on-time rule of every
report (``app.reports.on_time``: the public figures, the satisfaction report). Durations are
wall-clock time from creation. 59-ФЗ registration is its own target (``registration``), never a
first response: missed when registered after its due date, or still unregistered past it.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.errors import Forbidden, ValidationFailed
from app.models.common import Role
from app.models.sla import BreachCount, DurationStats, RegistrationStats, SlaReport

_BASE = """
WITH base AS (
    SELECT t.category_code, t.source, t.department_code, t.status, t.created_at,
           t.first_responded_at,
           t.answered_at, t.first_response_due_at AS fr_due, t.resolution_due_at AS res_due,
           t.registration_due_at AS reg_due, t.registered_at,
           t.status IN ('new', 'routed', 'in_progress', 'on_hold') AS is_open,
           -- a held ticket's clock stands still where it was held
           CASE WHEN t.status = 'on_hold' THEN coalesce(t.on_hold_since, :now) ELSE :now END
               AS clock_at,
           t.status IN ('answered', 'closed') AS is_done,
           -- the verdict on an answer already given stands: a late answer marked breached
           -- (the sweeper, or the reopen that moved the deadline: app.metrics.late_answers)
           EXISTS (SELECT 1 FROM sla_marks m WHERE m.ticket_id = t.id
                   AND m.target = 'resolution' AND m.level = 'breached') AS res_marked
    FROM tickets t
    WHERE t.created_at >= :start AND t.created_at < :end
      AND t.status NOT IN ('rejected', 'merged')
      AND (CAST(:department AS varchar) IS NULL OR t.department_code = :department)
), judged AS (
    SELECT *,
        -- answered by the deadline (a reopened ticket keeps its answer's verdict until it
        -- runs past its new deadline), never marked breached, not open past the deadline
        res_due IS NOT NULL AND answered_at <= res_due AND NOT res_marked
            AND NOT (is_open AND res_due < clock_at) AS res_on_time,
        res_marked OR (res_due IS NOT NULL AND ((is_done AND answered_at > res_due)
                                                OR (is_open AND res_due < clock_at)))
            AS res_missed,
        fr_due IS NOT NULL AND ((first_responded_at IS NOT NULL AND first_responded_at > fr_due)
                                OR (first_responded_at IS NULL AND is_open AND fr_due < clock_at))
            AS fr_missed,
        reg_due IS NOT NULL AND ((registered_at IS NOT NULL AND registered_at > reg_due)
                                 OR (registered_at IS NULL AND is_open AND reg_due < :now)
                                 OR (registered_at IS NULL AND is_done AND answered_at > reg_due))
            AS reg_missed
    FROM base
)
"""

_SUMMARY = (
    _BASE
    + """
SELECT count(*) AS tickets,
       count(*) FILTER (WHERE res_on_time) AS on_time,
       count(*) FILTER (WHERE res_missed) AS missed,
       count(first_responded_at) AS fr_count,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM first_responded_at - created_at)) AS fr_median,
       percentile_cont(0.95) WITHIN GROUP (
           ORDER BY extract(epoch FROM first_responded_at - created_at)) AS fr_p95,
       count(*) FILTER (WHERE is_done) AS res_count,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - created_at))
           FILTER (WHERE is_done) AS res_median,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - created_at))
           FILTER (WHERE is_done) AS res_p95,
       count(reg_due) AS reg_count,
       count(*) FILTER (WHERE registered_at <= reg_due) AS reg_on_time,
       count(*) FILTER (WHERE reg_missed) AS reg_missed
FROM judged
"""
)

_BREACHES = (
    _BASE
    + """
SELECT {key} AS key, count(*) FILTER (WHERE fr_missed) AS fr,
       count(*) FILTER (WHERE res_missed) AS res, count(*) FILTER (WHERE reg_missed) AS reg
FROM judged GROUP BY {key}
HAVING count(*) FILTER (WHERE fr_missed OR res_missed OR reg_missed) > 0
ORDER BY {key}
"""
)

_PARAMS = (
    bindparam("start", type_=DateTime(timezone=True)),
    bindparam("end", type_=DateTime(timezone=True)),
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("department", type_=String()),
)


def report_department(principal: Principal, department: str | None) -> str | None:
    """Managers see their own department only; admins any or all."""
    if principal.role == Role.admin:
        return department
    if principal.role != Role.manager:
        raise Forbidden("SLA reports are for managers and admins")
    if department is not None and department != principal.department_code:
        raise Forbidden("a manager sees the report of their own department only")
    return principal.department_code


async def sla_report(
    session: AsyncSession,
    *,
    principal: Principal,
    start: datetime,
    end: datetime,
    department: str | None,
    now: datetime,
) -> SlaReport:
    """Figures for tickets created in ``[start, end)``, judged as of ``now``."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("from and to need a time zone (e.g. 2026-01-01T00:00:00Z)")
    if end <= start:
        raise ValidationFailed("'to' must be after 'from'", field="to")
    department = report_department(principal, department)
    params: dict[str, Any] = {"start": start, "end": end, "now": now, "department": department}
    summary = (
        await session.exec(text(_SUMMARY).bindparams(*_PARAMS), params=params)  # type: ignore[call-overload]
    ).one()
    breaches: dict[str, list[BreachCount]] = {}
    for key in ("category_code", "source"):
        rows = await session.exec(  # type: ignore[call-overload]
            text(_BREACHES.format(key=key)).bindparams(*_PARAMS), params=params
        )
        breaches[key] = [
            BreachCount(key=r.key, first_response=r.fr, resolution=r.res, registration=r.reg)
            for r in rows.all()
        ]
    judged = summary.on_time + summary.missed
    from app.reports.sla_departments import department_rows  # it reuses _BASE above

    return SlaReport(
        period_from=start,
        period_to=end,
        department=department,
        tickets=summary.tickets,
        on_time=summary.on_time,
        missed=summary.missed,
        pending=summary.tickets - judged,
        on_time_percent=round(100.0 * summary.on_time / judged, 2) if judged else None,
        first_response=DurationStats(
            count=summary.fr_count, median_seconds=summary.fr_median, p95_seconds=summary.fr_p95
        ),
        resolution=DurationStats(
            count=summary.res_count, median_seconds=summary.res_median, p95_seconds=summary.res_p95
        ),
        breaches_by_category=breaches["category_code"],
        breaches_by_source=breaches["source"],
        registration=RegistrationStats(
            count=summary.reg_count, on_time=summary.reg_on_time, missed=summary.reg_missed
        ),
        departments=await department_rows(session, params),
    )


def report_csv(report: SlaReport) -> str:
    """The report as ``section,key,value`` rows (one table, easy to pivot in a spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "value"])
    for name in ("period_from", "period_to", "department", "tickets", "on_time", "missed"):
        writer.writerow(["summary", name, _cell(getattr(report, name))])
    writer.writerow(["summary", "pending", report.pending])
    writer.writerow(["summary", "on_time_percent", _cell(report.on_time_percent)])
    for target in ("first_response", "resolution"):
        stats: DurationStats = getattr(report, target)
        writer.writerow([target, "count", stats.count])
        writer.writerow([target, "median_seconds", _cell(stats.median_seconds)])
        writer.writerow([target, "p95_seconds", _cell(stats.p95_seconds)])
    for name in ("count", "on_time", "missed"):
        writer.writerow(["registration", name, getattr(report.registration, name)])
    for section, rows in (
        ("breaches_by_category", report.breaches_by_category),
        ("breaches_by_source", report.breaches_by_source),
    ):
        for row in rows:
            writer.writerow([f"{section}.first_response", row.key, row.first_response])
            writer.writerow([f"{section}.resolution", row.key, row.resolution])
            writer.writerow([f"{section}.registration", row.key, row.registration])
    for dept in report.departments:
        for name, value in dept.model_dump(exclude={"department"}).items():
            cells = value.items() if isinstance(value, dict) else [(None, value)]
            for part, cell in cells:  # overdue_by_target: departments.overdue_by_target.<target>
                key = f"departments.{name}" + (f".{part}" if part else "")
                writer.writerow([key, dept.department, _cell(cell)])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
