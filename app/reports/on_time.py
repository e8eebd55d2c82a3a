"""On time, one rule for every report: the SLA report's verdicts (``app.reports.sla._BASE``).

The tickets received in a period — rejected and merged ones left out, as the SLA report does —
are *on time* (answered by the resolution deadline, never marked breached), *missed* (answered
after it, still open past it, or marked breached: a reopen does not erase a late answer) or
pending. The public figures (``/public/v1/stats``), the satisfaction report and the weekly
digest take these counts per month or per department, so a department's on-time figure for a
month is the same number in every report (``tests/api/test_reports_agree.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, String, bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.reports.sla import _BASE, _PARAMS

_BY_MONTH = (
    _BASE
    + """
SELECT department_code AS department,
       to_char(date_trunc('month', created_at AT TIME ZONE CAST(:tz AS text)), 'YYYY-MM') AS month,
       count(*) FILTER (WHERE res_on_time) AS on_time,
       count(*) FILTER (WHERE res_missed) AS missed
FROM judged GROUP BY 1, 2
"""
)
_BY_DEPARTMENT = (
    _BASE
    + """
SELECT department_code AS department, count(*) FILTER (WHERE res_on_time) AS on_time,
       count(*) FILTER (WHERE res_missed) AS missed
FROM judged GROUP BY 1
"""
)


async def _rows(session: AsyncSession, sql: str, params: dict[str, Any]) -> list[Any]:
    binds: list[BindParameter[Any]] = list(_PARAMS)
    if ":tz" in sql:
        binds.append(bindparam("tz", type_=String()))
    result = await session.exec(text(sql).bindparams(*binds), params=params)  # type: ignore[call-overload]
    return list(result.all())


async def on_time_by_month(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    department: str | None,
    now: datetime,
    timezone: str,
) -> dict[tuple[str, str], tuple[int, int]]:
    """(department, ``YYYY-MM`` of receipt in the city's ``timezone``) → (on time, missed)."""
    params = {"start": start, "end": end, "now": now, "department": department, "tz": timezone}
    return {
        (r.department, r.month): (int(r.on_time), int(r.missed))
        for r in await _rows(session, _BY_MONTH, params)
    }


async def on_time_by_department(
    session: AsyncSession, *, start: datetime, end: datetime, department: str | None, now: datetime
) -> dict[str, tuple[int, int]]:
    """Department → (on time, missed) of the tickets received in ``[start, end)``."""
    params = {"start": start, "end": end, "now": now, "department": department}
    return {
        r.department: (int(r.on_time), int(r.missed))
        for r in await _rows(session, _BY_DEPARTMENT, params)
    }
