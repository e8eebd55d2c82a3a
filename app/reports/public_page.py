"""The open figures as a page for people (``/public/v1/stats`` asked for by a browser, or
``format=html``): tables with the counts behind each percent and bar charts drawn on the server
as SVG; no script, no external request, prints as it shows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.reports.charts import Bar, Row, bar_chart, percent_caption
from app.reports.public_stats import MonthFigures

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
# The page has one inline stylesheet and nothing else to load.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"


def month_name(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


@dataclass
class Totals:
    month: str
    received: int = 0
    answered: int = 0
    judged: int = 0
    on_time: int = 0
    ratings: int = 0
    positive: int = 0


def _totals(rows: list[MonthFigures]) -> list[Totals]:
    by: dict[str, Totals] = {}
    for r in rows:
        t = by.setdefault(r.month, Totals(r.month))
        t.received += r.received
        t.answered += r.answered
        t.judged += r.answered_judged
        t.on_time += r.answered_on_time
        t.ratings += r.ratings
        t.positive += r.positive
    return [by[m] for m in sorted(by)]


def _charts(rows: list[MonthFigures], totals: list[Totals]) -> list[str]:
    charts = [
        bar_chart(
            "Поступило обращений по месяцам, весь город",
            [Row(month_name(t.month), (Bar(t.received, str(t.received)),)) for t in totals],
            scale=float(max((t.received for t in totals), default=0)),
        )
    ]
    if totals:
        last = totals[-1].month
        before = totals[-2].month if len(totals) > 1 else None
        by = {(r.month, r.department): r for r in rows}
        departments = sorted({(r.department, r.department_name) for r in rows}, key=lambda d: d[1])
        legend = (month_name(last),) + ((month_name(before),) if before else ())

        def bars(code: str) -> tuple[Bar, ...]:
            out = []
            for month in (last, before):
                r = by.get((month, code)) if month else None
                if month:
                    judged, on_time = (r.answered_judged, r.answered_on_time) if r else (0, 0)
                    value = 100 * on_time / judged if judged else None
                    out.append(Bar(value, percent_caption(on_time, judged)))
            return tuple(out)

        charts.append(
            bar_chart(
                "Ответы в срок по отделам, %",
                [Row(name, bars(code)) for code, name in departments],
                legend=legend,
            )
        )
    return charts


# The human page's refusals in Russian, by the figure's own messages (app.reports.public_stats).
_FIELD = {"from": "«с» (from)", "to": "«по» (to)"}
_REASONS = (
    ("must look like", "месяц указан неверно: нужен вид ГГГГ-ММ с месяцем от 01 до 12"),
    ("between 2000 and 2100", "месяц должен быть между 2000 и 2100 годом"),
    ("is after", "месяц «с» позже месяца «по»"),
    ("at most", "за один раз — не больше 36 месяцев"),
)


def render_error(detail: str, field: str | None, *, value: str | None) -> str:
    """The page a browser gets instead of a problem+json when ``from``/``to`` are wrong."""
    reason = next((ru for en, ru in _REASONS if en in detail), "параметры указаны неверно")
    where = _FIELD.get(field or "", "")
    return _ENV.get_template("public_stats_error.html").render(
        reason=reason, where=where, value=value
    )


def render_page(rows: list[MonthFigures], *, query: str) -> str:
    """The whole page; ``query`` is the request's own ``from``/``to`` for the download links."""
    totals = _totals(rows)
    per_department: dict[str, list[MonthFigures]] = defaultdict(list)
    for r in rows:
        per_department[r.month].append(r)
    last = totals[-1].month if totals else None
    return _ENV.get_template("public_stats.html").render(
        totals=totals,
        charts=_charts(rows, totals),
        last=last,
        last_rows=per_department.get(last or "", []),
        rows=rows,
        month_name=month_name,
        share=percent_caption,
        query=query,
    )
