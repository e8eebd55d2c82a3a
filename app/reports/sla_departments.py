"""The SLA report's rows per department: on time by the report's one rule (``sla._BASE``),
overdue right now (any running target: ``app.metrics.overdue_now``), and citizens'
satisfaction (``satisfaction.satisfied_by_department``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import overdue_now
from app.models.sla import DepartmentSla, OverdueNow
from app.reports.satisfaction import satisfied_by_department
from app.reports.sla import _BASE, _PARAMS

_BY_DEPARTMENT = (
    _BASE
    + """
SELECT department_code AS department, count(*) AS tickets,
       count(*) FILTER (WHERE res_on_time) AS on_time,
       count(*) FILTER (WHERE res_missed) AS missed
FROM judged GROUP BY department_code
"""
)
# Open now with any running target past its deadline — first answer, 59-ФЗ registration,
# resolution — whenever received: the one rule of «overdue now» (app.metrics.overdue_now), the
# rule of appeals_tickets_overdue. Each target's count, and the tickets counted once.
_OVERDUE_NOW = f"""
SELECT t.department_code AS department, {overdue_now.counts_sql()}
FROM tickets t
WHERE t.status IN {overdue_now.OPEN}
  AND (CAST(:department AS varchar) IS NULL OR t.department_code = :department)
GROUP BY t.department_code
HAVING count(*) FILTER (WHERE {overdue_now.any_target()}) > 0
"""
_NAMES = "SELECT code, name FROM departments"


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


async def department_rows(session: AsyncSession, params: dict[str, Any]) -> list[DepartmentSla]:
    """A row per department with tickets in the period, overdue now, or ratings in the period."""

    async def rows(sql: str) -> list[Any]:
        binds = [b for b in _PARAMS if f":{b.key}" in sql]
        result = await session.exec(text(sql).bindparams(*binds), params=params)  # type: ignore[call-overload]
        return list(result.all())

    judged = {r.department: r for r in await rows(_BY_DEPARTMENT)}
    overdue = {
        r.department: OverdueNow(
            tickets=int(r.overdue),
            first_response=int(r.overdue_first_response),
            registration=int(r.overdue_registration),
            resolution=int(r.overdue_resolution),
        )
        for r in await rows(_OVERDUE_NOW)
    }
    rated = await satisfied_by_department(
        session, start=params["start"], end=params["end"], department=params["department"]
    )
    names = {r.code: r.name for r in await rows(_NAMES)}
    out = []
    for code in sorted(set(judged) | set(overdue) | set(rated), key=lambda c: names.get(c, c)):
        j = judged.get(code)
        on_time, missed = (int(j.on_time), int(j.missed)) if j else (0, 0)
        feedback, positive = rated.get(code, (0, 0))
        out.append(
            DepartmentSla(
                department=code,
                name=names.get(code, code),
                tickets=int(j.tickets) if j else 0,
                on_time=on_time,
                missed=missed,
                on_time_percent=_percent(on_time, on_time + missed),
                overdue_now=overdue[code].tickets if code in overdue else 0,
                overdue_by_target=overdue.get(code, OverdueNow()),
                feedback=feedback,
                positive=positive,
                satisfied_percent=_percent(positive, feedback),
            )
        )
    return out
