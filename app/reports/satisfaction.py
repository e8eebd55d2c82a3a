"""Citizen satisfaction by department and month, next to how the work was done.

Per (department, month in the city's time zone) for ``[start, end)``: feedback received and
the satisfied percent, the average 1–5 score, answered tickets (merged duplicates left out) and
the percent of them without any feedback, re-routes, the reopen percent, and the on-time percent
of the tickets received that month — the SLA report's verdicts (``app.reports.on_time``), so a
department's month has one on-time figure in every report. Each department also gets the same
satisfied percent for the previous period (``previous_period``): the previous calendar month(s)
when the period is whole months, otherwise the same length back (a week: the week before), so a
manager sees the trend. Every share is a percent (0–100), as in every report.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import DateTime, String, bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.errors import Forbidden, ValidationFailed
from app.models.common import Role
from app.reports.on_time import on_time_by_month

_PARAMS = (
    bindparam("start", type_=DateTime(timezone=True)),
    bindparam("end", type_=DateTime(timezone=True)),
    bindparam("department", type_=String()),
    bindparam("tz", type_=String()),
)

_FEEDBACK = """
SELECT department_code AS department,
       to_char(date_trunc('month', created_at AT TIME ZONE :tz), 'YYYY-MM') AS month,
       count(*) AS feedback,
       count(*) FILTER (WHERE sentiment = 'positive') AS positive,
       count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
       count(*) FILTER (WHERE sentiment = 'negative') AS negative,
       avg(score) AS avg_score
FROM ticket_feedback
WHERE created_at >= :start AND created_at < :end
  AND (CAST(:department AS text) IS NULL OR department_code = :department)
GROUP BY 1, 2
"""

_ANSWERED = """
SELECT t.department_code AS department,
       to_char(date_trunc('month', t.answered_at AT TIME ZONE :tz), 'YYYY-MM') AS month,
       count(*) AS answered,
       count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM ticket_feedback f WHERE f.ticket_id = t.id)) AS without_feedback,
       coalesce(sum(t.reroute_count), 0) AS reroutes,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM ticket_events e
           WHERE e.ticket_id = t.id AND e.type = 'status_changed'
             AND e.data ->> 'before' IN ('answered', 'closed')
             AND e.data ->> 'after' = 'in_progress')) AS reopened
FROM tickets t
WHERE t.answered_at >= :start AND t.answered_at < :end AND t.status <> 'merged'
  AND (CAST(:department AS text) IS NULL OR t.department_code = :department)
GROUP BY 1, 2
"""

_PREVIOUS = """
SELECT department_code AS department, count(*) AS feedback,
       count(*) FILTER (WHERE sentiment = 'positive') AS positive
FROM ticket_feedback
WHERE created_at >= :start AND created_at < :end
  AND (CAST(:department AS text) IS NULL OR department_code = :department)
GROUP BY 1
"""


class SatisfactionRow(BaseModel):
    department: str
    month: str
    feedback: int
    positive: int
    neutral: int
    negative: int
    satisfaction_percent: float | None
    avg_score: float | None
    answered: int
    without_feedback: int
    without_feedback_percent: float | None
    # The SLA report's verdicts on the tickets received that month (app.reports.on_time):
    # judged = on time + missed (late answers and open tickets past the deadline).
    answered_judged: int
    answered_on_time: int
    on_time_percent: float | None
    reroutes: int
    reopened: int
    reopen_percent: float | None
    previous_feedback: int
    previous_positive: int
    previous_satisfaction_percent: float | None
    satisfaction_change_points: float | None  # percentage points


class SatisfactionReport(BaseModel):
    period_from: datetime
    period_to: datetime
    previous_from: datetime
    rows: list[SatisfactionRow]


def _share(part: int, whole: int) -> float | None:
    """A percent (0–100, two decimals), the one scale of every report; None without a base."""
    return round(100.0 * part / whole, 2) if whole else None


def _department(principal: Principal, department: str | None) -> str | None:
    if principal.role == Role.admin:
        return department
    if principal.role != Role.manager:
        raise Forbidden("satisfaction reports are for managers and admins")
    if department is not None and department != principal.department_code:
        raise Forbidden("a manager sees the report of their own department only")
    return principal.department_code


def _add_months(day: datetime, months: int) -> datetime:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def previous_period(start: datetime, end: datetime, timezone: str) -> datetime:
    """Where the period compared with ``[start, end)`` begins (it ends at ``start``).

    Whole calendar months of the city (both bounds the city's midnight of a 1st): as many
    months back — November's is October, March's is February, a quarter's the quarter before.
    Otherwise the same length back: a week's is the week before."""
    tz = ZoneInfo(timezone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    midnight_first = all(d.day == 1 and d.time() == datetime.min.time() for d in (a, b))
    try:
        if midnight_first:
            months = (b.year - a.year) * 12 + b.month - a.month
            return _add_months(a, -months).astimezone(start.tzinfo)
        return start - (end - start)
    except (OverflowError, ValueError):
        raise ValidationFailed("the period is too long to compare with the one before") from None


async def _rows(session: AsyncSession, sql: str, params: dict[str, Any]) -> list[Any]:
    binds = [b for b in _PARAMS if f":{b.key}" in sql]
    result = await session.exec(text(sql).bindparams(*binds), params=params)  # type: ignore[call-overload]
    return list(result.all())


async def satisfaction_report(
    session: AsyncSession,
    *,
    principal: Principal,
    start: datetime,
    end: datetime,
    department: str | None,
    timezone: str,
    now: datetime,
) -> SatisfactionReport:
    """Satisfaction, on-time %, re-routes and reopen rate per department and month; the months
    are those of the city's ``timezone`` (an IANA name, ``settings.timezone``)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("from and to need a time zone (e.g. 2026-11-01T00:00:00Z)")
    if end <= start:
        raise ValidationFailed("'to' must be after 'from'", field="to")
    department = _department(principal, department)
    params = {"start": start, "end": end, "department": department, "tz": timezone}
    previous_from = previous_period(start, end, timezone)
    feedback = {(r.department, r.month): r for r in await _rows(session, _FEEDBACK, params)}
    answered = {(r.department, r.month): r for r in await _rows(session, _ANSWERED, params)}
    verdicts = await on_time_by_month(
        session, start=start, end=end, department=department, now=now, timezone=timezone
    )
    previous = {
        r.department: (int(r.feedback), int(r.positive))
        for r in await _rows(session, _PREVIOUS, {**params, "start": previous_from, "end": start})
    }
    rows = []
    for key in sorted(set(feedback) | set(answered) | set(verdicts)):
        f, a = feedback.get(key), answered.get(key)
        on_time, missed = verdicts.get(key, (0, 0))
        n_feedback = f.feedback if f else 0
        n_answered = a.answered if a else 0
        share = _share(f.positive, n_feedback) if f else None
        before_n, before_positive = previous.get(key[0], (0, 0))
        before = _share(before_positive, before_n)
        rows.append(
            SatisfactionRow(
                department=key[0],
                month=key[1],
                feedback=n_feedback,
                positive=f.positive if f else 0,
                neutral=f.neutral if f else 0,
                negative=f.negative if f else 0,
                satisfaction_percent=share,
                avg_score=round(float(f.avg_score), 2) if f and f.avg_score is not None else None,
                answered=n_answered,
                without_feedback=int(a.without_feedback) if a else 0,
                without_feedback_percent=_share(a.without_feedback, n_answered) if a else None,
                answered_judged=on_time + missed,
                answered_on_time=on_time,
                on_time_percent=_share(on_time, on_time + missed),
                reroutes=int(a.reroutes) if a else 0,
                reopened=int(a.reopened) if a else 0,
                reopen_percent=_share(a.reopened, n_answered) if a else None,
                previous_feedback=before_n,
                previous_positive=before_positive,
                previous_satisfaction_percent=before,
                satisfaction_change_points=(
                    round(share - before, 2) if share is not None and before is not None else None
                ),
            )
        )
    return SatisfactionReport(
        period_from=start, period_to=end, previous_from=previous_from, rows=rows
    )


async def satisfied_by_department(
    session: AsyncSession, *, start: datetime, end: datetime, department: str | None
) -> dict[str, tuple[int, int]]:
    """Ratings given in ``[start, end)`` per department: (feedback, positive)."""
    params = {"start": start, "end": end, "department": department}
    return {
        r.department: (int(r.feedback), int(r.positive))
        for r in await _rows(session, _PREVIOUS, params)
    }


def satisfaction_csv(report: SatisfactionReport) -> str:
    out = io.StringIO()
    fields = list(SatisfactionRow.model_fields)
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for row in report.rows:
        writer.writerow(row.model_dump())
    return out.getvalue()
