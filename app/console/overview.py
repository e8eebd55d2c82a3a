"""The head's overview (/console/overview): a row per department — overdue now, on time and
satisfied this month and last, each with its counts — and bar charts drawn on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import NowDep, SessionDep
from app.console.deps import ConsoleDep, render
from app.errors import Forbidden
from app.models.sla import DepartmentSla, OverdueNow, SlaReport
from app.reports.charts import Bar, Row, bar_chart, percent_caption
from app.reports.sla import sla_report

router = APIRouter(prefix="/console", include_in_schema=False)

MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip


def month_name(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Figure:
    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return 100 * self.part / self.whole if self.whole else None

    @property
    def caption(self) -> str:
        return percent_caption(self.part, self.whole)


@dataclass(frozen=True)
class DepartmentRow:
    name: str
    overdue_now: int  # tickets with any running target past due, each once
    overdue_by_target: OverdueNow
    on_time: Figure
    on_time_before: Figure
    satisfied: Figure
    satisfied_before: Figure


def _on_time(d: DepartmentSla | None) -> Figure:
    return Figure(d.on_time, d.on_time + d.missed) if d else Figure(0, 0)


def _satisfied(d: DepartmentSla | None) -> Figure:
    return Figure(d.positive, d.feedback) if d else Figure(0, 0)


def _rows(this: SlaReport, before: SlaReport) -> list[DepartmentRow]:
    """Every department of either month (overdue now is the same in both reports)."""
    now_by = {d.department: d for d in this.departments}
    before_by = {d.department: d for d in before.departments}
    rows = []
    for code in [*now_by, *(c for c in before_by if c not in now_by)]:
        a, b = now_by.get(code), before_by.get(code)
        named = a or b
        assert named is not None
        rows.append(
            DepartmentRow(
                name=named.name,
                overdue_now=named.overdue_now,
                overdue_by_target=named.overdue_by_target,
                on_time=_on_time(a),
                on_time_before=_on_time(b),
                satisfied=_satisfied(a),
                satisfied_before=_satisfied(b),
            )
        )
    return rows


def _charts(rows: list[DepartmentRow], legend: tuple[str, str]) -> list[str]:
    def pair(a: Figure, b: Figure) -> tuple[Bar, Bar]:
        return Bar(a.percent, a.caption), Bar(b.percent, b.caption)

    most = max((r.overdue_now for r in rows), default=0)
    return [
        bar_chart(
            "Ответы в срок, %",
            [Row(r.name, pair(r.on_time, r.on_time_before)) for r in rows],
            legend=legend,
        ),
        bar_chart(
            "Довольны ответом, %",
            [Row(r.name, pair(r.satisfied, r.satisfied_before)) for r in rows],
            legend=legend,
        ),
        bar_chart(
            "Просрочено сейчас, обращений",
            [Row(r.name, (Bar(r.overdue_now, str(r.overdue_now)),)) for r in rows],
            scale=float(most),
        ),
    ]


OVERDUE_TARGETS = (
    ("first_response", "первый ответ"),
    ("registration", "регистрация"),
    ("resolution", "решение"),
)


def overdue_caption(by: OverdueNow) -> str:
    """«первый ответ: 5 · решение: 1»; «—» when nothing is late."""
    parts = [f"{label}: {getattr(by, key)}" for key, label in OVERDUE_TARGETS if getattr(by, key)]
    return " · ".join(parts) or "—"


def _by_target(rows: list[DepartmentRow]) -> str:
    keys = ("tickets", *(k for k, _ in OVERDUE_TARGETS))
    sums = {key: sum(getattr(r.overdue_by_target, key) for r in rows) for key in keys}
    return overdue_caption(OverdueNow(**sums))


@router.get("/overview", response_class=HTMLResponse)
async def overview(
    request: Request, session: SessionDep, console: ConsoleDep, now: NowDep
) -> Response:
    tz = console.settings.tz
    month = now.astimezone(tz).date().replace(day=1)
    previous, following = add_months(month, -1), add_months(month, 1)

    def at(day: date) -> datetime:
        return datetime(day.year, day.month, 1, tzinfo=tz)

    try:
        this = await sla_report(
            session, principal=console.principal, start=at(month), end=at(following),
            department=None, now=now,
        )  # fmt: skip
        before = await sla_report(
            session, principal=console.principal, start=at(previous), end=at(month),
            department=None, now=now,
        )  # fmt: skip
    except Forbidden:
        return render(request, "no_access.html", {}, console=console, status_code=403)
    rows = _rows(this, before)
    legend = (month_name(month), month_name(previous))
    context = {
        "rows": rows,
        "charts": _charts(rows, legend),
        "month": legend[0],
        "previous": legend[1],
        "as_of": now.astimezone(tz),
        "total_overdue": sum(r.overdue_now for r in rows),  # a ticket is in one department
        "total_by_target": _by_target(rows),
        "overdue_caption": overdue_caption,
    }
    return render(request, "overview.html", context, console=console)
