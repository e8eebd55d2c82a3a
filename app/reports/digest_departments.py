"""The weekly digest's departments table: a row per department with work in the week."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.types import DateTime
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics.overdue_now import TARGETS
from app.reports.digest_overdue import OVERDUE_AT_END
from app.reports.digest_queries import DEPARTMENTS, RATINGS

_P = tuple(bindparam(name, type_=DateTime(timezone=True)) for name in ("start", "end", "now"))


async def _all(session: AsyncSession, sql: str, params: Mapping[str, object]) -> list[Any]:
    binds = [b for b in _P if f":{b.key}" in sql]
    result = await session.exec(text(sql).bindparams(*binds), params=params)  # type: ignore[call-overload]
    return list(result.all())


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


async def department_rows(
    session: AsyncSession, params: Mapping[str, object]
) -> list[dict[str, object]]:
    """Each department with work in the week: received, answers of the week and how many on
    time (``ANSWERED_IN_WEEK``, ``ON_TIME``), overdue at the week's end as it stood then (any
    running target, ``app.reports.digest_overdue``; per target too), ratings."""
    ratings = {r[0]: (int(r[1]), int(r[2])) for r in await _all(session, RATINGS, params)}
    week = {r[0]: r for r in await _all(session, DEPARTMENTS, params)}
    overdue = {r[0]: r for r in await _all(session, OVERDUE_AT_END, params)}
    departments: list[dict[str, object]] = []
    for code in sorted(set(week) | set(overdue) | set(ratings)):
        name = week[code][1] if code in week else overdue[code][1] if code in overdue else None
        counts = week[code][2:6] if code in week else (0, 0, 0, 0)
        answered, judged, on_time, received = map(int, counts)
        late = overdue.get(code)
        by_target = [int(x) for x in late[2:5]] if late else [0, 0, 0]
        rated, positive = ratings.get(code, (0, 0))
        if name is None:
            name = await _department_name(session, code)
        if not (answered or judged or received or rated or any(by_target)):
            continue
        departments.append(
            {
                "department": code,
                "name": name,
                "received": received,
                "answered": answered,
                "answered_judged": judged,
                "on_time": on_time,
                "on_time_percent": _percent(on_time, judged),
                "overdue_open": int(late[5]) if late else 0,
                "overdue_by_target": dict(zip(TARGETS, by_target, strict=True)),
                "ratings": rated,
                "positive": positive,
                "positive_percent": _percent(positive, rated),
            }
        )
    return departments


async def _department_name(session: AsyncSession, code: str) -> str:
    rows = await _all(session, "SELECT name FROM departments WHERE code = :code", {"code": code})
    return str(rows[0][0]) if rows else code
