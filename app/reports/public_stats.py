"""Open data for residents: per department and month, appeals received, answered, on time,
and the share of positive ratings. Aggregates only: no texts, no addresses, no people."""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, text
from sqlalchemy.types import DateTime
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.errors import ValidationFailed
from app.reports.on_time import on_time_by_month

MAX_MONTHS = 36


@dataclass(frozen=True)
class MonthFigures:
    month: str
    department: str
    department_name: str
    received: int
    answered: int
    # The SLA report's verdicts on the month's received tickets (app.reports.on_time): judged =
    # on time + missed (late answers, open past the deadline), the base of on_time_percent.
    answered_judged: int
    answered_on_time: int
    on_time_percent: float | None
    ratings: int
    positive: int
    positive_percent: float | None


# Months are the city's calendar months. Received counts tickets created in the month, answered
# the tickets answered in the month; on time is the SLA report's rule (app.reports.on_time) on
# the tickets received in the month, so every report gives a department's month one figure.
_STATS = text(
    """
WITH months AS (
    SELECT generate_series(
        CAST(:start AS timestamp), CAST(:end AS timestamp) - interval '1 month',
        interval '1 month'
    ) AS m
), received AS (
    SELECT date_trunc('month', created_at AT TIME ZONE CAST(:tz AS text)) AS m,
           department_code AS d,
           count(*) AS n
    FROM tickets WHERE created_at >= :start_at AND created_at < :end_at AND status <> 'merged'
    GROUP BY 1, 2
), answered AS (
    SELECT date_trunc('month', answered_at AT TIME ZONE CAST(:tz AS text)) AS m,
           department_code AS d,
           count(*) AS n
    FROM tickets WHERE answered_at >= :start_at AND answered_at < :end_at AND status <> 'merged'
    GROUP BY 1, 2
), rated AS (
    SELECT date_trunc('month', created_at AT TIME ZONE CAST(:tz AS text)) AS m,
           department_code AS d,
           count(*) AS n, count(*) FILTER (WHERE sentiment = 'positive') AS positive
    FROM ticket_feedback WHERE created_at >= :start_at AND created_at < :end_at
    GROUP BY 1, 2
)
SELECT to_char(months.m, 'YYYY-MM'), dp.code, dp.name,
       coalesce(r.n, 0), coalesce(a.n, 0), coalesce(f.n, 0), coalesce(f.positive, 0)
FROM months CROSS JOIN departments dp
LEFT JOIN received r ON r.m = months.m AND r.d = dp.code
LEFT JOIN answered a ON a.m = months.m AND a.d = dp.code
LEFT JOIN rated f ON f.m = months.m AND f.d = dp.code
WHERE dp.active OR r.n IS NOT NULL OR a.n IS NOT NULL
ORDER BY 1, 2
"""
).bindparams(
    bindparam("start_at", type_=DateTime(timezone=True)),
    bindparam("end_at", type_=DateTime(timezone=True)),
)


def parse_month(value: str, name: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}", value):
            raise ValueError(value)
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ValidationFailed(f"{name} must look like 2026-01", field=name) from None
    if not 2000 <= month.year <= 2100:
        raise ValidationFailed(f"{name} must be a month between 2000 and 2100", field=name)
    return month


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_range(
    start: str | None, end: str | None, *, settings: Settings, now: datetime
) -> tuple[date, date]:
    """[first month, month after the last); default: the last twelve months up to this one."""
    this_month = now.astimezone(settings.tz).date().replace(day=1)
    # Left out is the default; given empty (``?to=``) is a month that is not one (422).
    last = parse_month(end, "to") if end is not None else this_month
    first = parse_month(start, "from") if start is not None else _add_months(last, -11)
    if first > last:
        raise ValidationFailed("'from' is after 'to'", field="from")
    if _add_months(first, MAX_MONTHS) <= last:
        raise ValidationFailed(f"at most {MAX_MONTHS} months at once", field="from")
    return first, _add_months(last, 1)


async def monthly_figures(
    session: AsyncSession, *, first: date, after: date, settings: Settings, now: datetime
) -> list[MonthFigures]:
    """Per department and month: received, answered, on-time %, positive-rating %."""
    tz = settings.tz
    start_at = datetime(first.year, first.month, 1, tzinfo=tz)
    end_at = datetime(after.year, after.month, 1, tzinfo=tz)
    rows = await session.exec(  # type: ignore[call-overload]
        _STATS,
        params={
            "start": datetime(first.year, first.month, 1),
            "end": datetime(after.year, after.month, 1),
            "start_at": start_at,
            "end_at": end_at,
            "tz": settings.timezone,
        },
    )
    verdicts = await on_time_by_month(
        session, start=start_at, end=end_at, department=None, now=now, timezone=settings.timezone
    )
    out = []
    for month, code, name, received, answered, rated, positive in rows.all():
        on_time, missed = verdicts.get((code, month), (0, 0))
        judged = on_time + missed
        out.append(
            MonthFigures(
                month=month,
                department=code,
                department_name=name,
                received=int(received),
                answered=int(answered),
                answered_judged=int(judged),
                answered_on_time=int(on_time),
                on_time_percent=round(100.0 * on_time / judged, 1) if judged else None,
                ratings=int(rated),
                positive=int(positive),
                positive_percent=round(100.0 * positive / rated, 1) if rated else None,
            )
        )
    return out


# The CSV's columns in Russian, in the order of MonthFigures' fields. The on-time columns are
# about the tickets received in the month (answered or past their deadline), not the answers
# given in it («Дано ответов»): the header says so.
CSV_HEADERS = {
    "month": "Месяц",
    "department": "Код отдела",
    "department_name": "Отдел",
    "received": "Поступило",
    "answered": "Дано ответов",
    "answered_judged": "Поступивших с итогом по сроку",
    "answered_on_time": "Из них ответ в срок",
    "on_time_percent": "Ответ в срок, % от поступивших с итогом",
    "ratings": "Оценок",
    "positive": "Положительных оценок",
    "positive_percent": "Довольны, %",
}


def _excel_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")  # Russian Excel reads 66,7 as a number
    return value


def to_csv(rows: list[MonthFigures]) -> str:
    """For Russian Excel: UTF-8 with a BOM, ``;`` between cells, decimal commas, a row per month
    and department with a column per figure (wide), headers in Russian."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS[name] for name in MonthFigures.__dataclass_fields__)
    for row in rows:
        writer.writerow([_excel_cell(v) for v in asdict(row).values()])
    return "\ufeff" + buffer.getvalue()


class TtlCache:
    """A small per-process cache: public figures change slowly and the endpoint is open."""

    def __init__(self) -> None:
        self._items: dict[object, tuple[float, object]] = {}

    def get(self, key: object, ttl: float) -> object | None:
        hit = self._items.get(key)
        if hit is None or time.monotonic() - hit[0] > ttl:
            return None
        return hit[1]

    def put(self, key: object, value: object) -> None:
        if len(self._items) > 256:
            self._items.clear()
        self._items[key] = (time.monotonic(), value)
