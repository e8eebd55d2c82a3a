"""The weekly digest for «Глава в ответе»: the week's themes, hot addresses, departments'
timeliness, and a few representative appeals per top theme with personal data removed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.types import DateTime
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.personal_data import scrub_text
from app.config import Settings
from app.errors import ValidationFailed
from app.models.tickets import Applicant, Ticket

TOP_THEMES = 5
HOT_ADDRESSES = 10
EXAMPLES = 5

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# «Иванов Иван Иванович», «Иванова А. П.», «А.П. Иванова»: a capitalised word with a patronymic
# or initials next to it. Bare first names are left (they rarely identify anyone alone).
_NAMES = re.compile(
    r"\b[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+(?:ович|евич|ич|овна|евна|ична|инична)\b"
    r"|\b[А-ЯЁ][а-яё]+\s+[А-ЯЁ]\.\s?[А-ЯЁ]\."
    r"|\b[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?[А-ЯЁ][а-яё]+"
)


def parse_week(value: str) -> date:
    """``2026-W47`` → the Monday of that ISO week."""
    match = _WEEK.match(value.strip())
    if not match:
        raise ValidationFailed("week must look like 2026-W47", field="week")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValidationFailed(f"no such ISO week: {value}", field="week") from None


def scrub_personal(text_: str, known: list[str]) -> str:
    """Remove phones, e-mails, the applicant's own name parts and name-shaped phrases."""
    out = scrub_text(text_)
    for value in sorted({k for k in known if k and len(k) >= 3}, key=len, reverse=True):
        out = re.sub(re.escape(value), "[имя]", out, flags=re.IGNORECASE)
    return _NAMES.sub("[имя]", out)


@dataclass
class Theme:
    category: str
    name: str
    count: int
    previous: int
    growth_percent: float | None
    examples: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Digest:
    week: str
    period_from: datetime
    period_to: datetime
    department: str | None
    total: int
    previous_total: int
    top_themes: list[Theme]
    growing_themes: list[Theme]
    hot_addresses: list[dict[str, object]]
    departments: list[dict[str, object]]


_P = (
    bindparam("start", type_=DateTime(timezone=True)),
    bindparam("prev", type_=DateTime(timezone=True)),
    bindparam("end", type_=DateTime(timezone=True)),
    bindparam("now", type_=DateTime(timezone=True)),
)
_SCOPE = "t.status <> 'merged' AND (CAST(:dept AS varchar) IS NULL OR t.department_code = :dept)"
_THEMES = text(
    "SELECT t.category_code, c.name, "
    "count(*) FILTER (WHERE t.created_at >= :start) AS cnt, "
    "count(*) FILTER (WHERE t.created_at < :start) AS prev "
    "FROM tickets t JOIN categories c ON c.code = t.category_code "
    f"WHERE t.created_at >= :prev AND t.created_at < :end AND {_SCOPE} "
    "GROUP BY t.category_code, c.name"
).bindparams(*_P[:3])
_ADDRESSES = text(
    "SELECT min(t.address) AS address, count(*) AS cnt, "
    "array_agg(DISTINCT t.category_code ORDER BY t.category_code) AS cats "
    "FROM tickets t "
    f"WHERE t.created_at >= :start AND t.created_at < :end AND {_SCOPE} "
    "AND coalesce(t.address_key, lower(t.address)) IS NOT NULL "
    "GROUP BY coalesce(t.address_key, lower(t.address)) HAVING count(*) >= 2 "
    "ORDER BY cnt DESC, address LIMIT :limit"
).bindparams(_P[0], _P[2])
_DEPARTMENTS = text(
    "SELECT d.code, d.name, "
    "count(*) FILTER (WHERE t.answered_at >= :start AND t.answered_at < :end "
    "  AND t.resolution_due_at IS NOT NULL) AS judged, "
    "count(*) FILTER (WHERE t.answered_at >= :start AND t.answered_at < :end "
    "  AND t.answered_at <= t.resolution_due_at) AS on_time, "
    "count(*) FILTER (WHERE t.status IN ('new','routed','in_progress','on_hold') "
    "  AND t.created_at < :end AND t.resolution_due_at < LEAST(:end, :now)) AS overdue, "
    "count(*) FILTER (WHERE t.created_at >= :start AND t.created_at < :end) AS received "
    "FROM departments d JOIN tickets t ON t.department_code = d.code "
    f"WHERE {_SCOPE} AND t.created_at < :end AND (t.created_at >= :start "
    "  OR t.answered_at >= :start OR t.status IN ('new','routed','in_progress','on_hold')) "
    "GROUP BY d.code, d.name ORDER BY d.code"
).bindparams(_P[0], _P[2], _P[3])
_RATINGS = text(
    "SELECT department_code, count(*), count(*) FILTER (WHERE sentiment = 'positive') "
    "FROM ticket_feedback WHERE created_at >= :start AND created_at < :end "
    "AND (CAST(:dept AS varchar) IS NULL OR department_code = :dept) GROUP BY department_code"
).bindparams(_P[0], _P[2])


async def weekly_digest(
    session: AsyncSession,
    week: str,
    *,
    department: str | None,
    settings: Settings,
    now: datetime,
) -> Digest:
    """The digest of one ISO week in the city's time zone (``department``: one, else all)."""
    monday = parse_week(week)
    start = datetime.combine(monday, time(), settings.tz)
    end, prev = start + timedelta(days=7), start - timedelta(days=7)
    params = {"start": start, "prev": prev, "end": end, "now": now, "dept": department}
    rows = (await session.exec(_THEMES, params=params)).all()  # type: ignore[call-overload]
    themes = [Theme(r[0], r[1], int(r[2]), int(r[3]), _growth(int(r[2]), int(r[3]))) for r in rows]
    top = sorted((t for t in themes if t.count), key=lambda t: (-t.count, t.category))[:TOP_THEMES]
    growing = sorted(
        (t for t in themes if t.count > t.previous),
        key=lambda t: (-(t.count - t.previous), t.category),
    )[:TOP_THEMES]
    for theme in top:
        theme.examples = await _examples(session, theme.category, start, end, department)
    addresses = (
        await session.exec(_ADDRESSES, params={**params, "limit": HOT_ADDRESSES})  # type: ignore[call-overload]
    ).all()
    departments = await _departments(session, params)
    return Digest(
        week=f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}",
        period_from=start,
        period_to=end,
        department=department,
        total=sum(t.count for t in themes),
        previous_total=sum(t.previous for t in themes),
        top_themes=top,
        growing_themes=growing,
        hot_addresses=[
            {"address": r[0], "count": int(r[1]), "categories": list(r[2])} for r in addresses
        ],
        departments=departments,
    )


async def _departments(
    session: AsyncSession, params: Mapping[str, object]
) -> list[dict[str, object]]:
    """Each department with work in the week: received, answered on time, overdue, ratings."""
    ratings = {
        r[0]: (int(r[1]), int(r[2]))
        for r in (await session.exec(_RATINGS, params=params)).all()  # type: ignore[call-overload]
    }
    departments: list[dict[str, object]] = []
    for r in (await session.exec(_DEPARTMENTS, params=params)).all():  # type: ignore[call-overload]
        judged, on_time = int(r[2]), int(r[3])
        rated, positive = ratings.get(r[0], (0, 0))
        if not (judged or r[4] or r[5] or rated):
            continue
        departments.append(
            {
                "department": r[0],
                "name": r[1],
                "received": int(r[5]),
                "answered_judged": judged,
                "on_time": on_time,
                "on_time_percent": round(100.0 * on_time / judged, 1) if judged else None,
                "overdue_open": int(r[4]),
                "ratings": rated,
                "positive_percent": round(100.0 * positive / rated, 1) if rated else None,
            }
        )
    return departments


def _growth(count: int, previous: int) -> float | None:
    return round(100.0 * (count - previous) / previous, 1) if previous else None


async def _examples(
    session: AsyncSession, category: str, start: datetime, end: datetime, department: str | None
) -> list[dict[str, str]]:
    """Up to five appeals of the theme, one per place, the more detailed first; scrubbed."""
    stmt = (
        select(Ticket, Applicant)
        .outerjoin(Applicant, col(Applicant.id) == col(Ticket.applicant_id))
        .where(
            Ticket.category_code == category,
            Ticket.created_at >= start,
            Ticket.created_at < end,
            Ticket.status != "merged",
        )
        .order_by(col(Ticket.id))
    )
    if department is not None:
        stmt = stmt.where(Ticket.department_code == department)
    picked: dict[str, dict[str, str]] = {}
    candidates = sorted((await session.exec(stmt)).all(), key=lambda r: -len(r[0].text))
    for ticket, applicant in candidates:
        place = ticket.address_key or (ticket.address or "").lower() or ticket.number
        if place in picked:
            continue
        known: list[str] = []
        if applicant is not None:
            for name in ("full_name", "surname", "name", "patronymic", "email", "phone"):
                value = getattr(applicant, name)
                known += [value] if name != "full_name" or not value else [value, *value.split()]
        picked[place] = {
            "number": ticket.number,
            "source": ticket.source,
            "text": scrub_personal(ticket.text, known)[:600],
        }
        if len(picked) == EXAMPLES:
            break
    return list(picked.values())


def to_markdown(digest: Digest) -> str:
    """The digest as Markdown for the press service."""
    lines = [
        f"# Обращения за неделю {digest.week}",
        "",
        f"Всего: {digest.total} (неделей раньше: {digest.previous_total}).",
        "",
        "## Главные темы",
    ]
    for t in digest.top_themes:
        growth = f", {t.growth_percent:+g} %" if t.growth_percent is not None else ""
        lines.append(f"- **{t.name}** — {t.count} (было {t.previous}{growth})")
    lines += ["", "## Растущие темы"]
    lines += [f"- {t.name}: {t.previous} → {t.count}" for t in digest.growing_themes] or ["- нет"]
    lines += ["", "## Горячие адреса"]
    lines += [f"- {a['address']} — {a['count']}" for a in digest.hot_addresses] or ["- нет"]
    lines += [
        "",
        "## Отделы",
        "",
        "| отдел | поступило | в срок, % | просрочено | довольны, % |",
        "|---|---|---|---|---|",
    ]
    for d in digest.departments:
        pct = "—" if d["on_time_percent"] is None else f"{d['on_time_percent']:g}"
        happy = "—" if d["positive_percent"] is None else f"{d['positive_percent']:g}"
        lines.append(f"| {d['name']} | {d['received']} | {pct} | {d['overdue_open']} | {happy} |")
    for t in digest.top_themes:
        lines += ["", f"## {t.name}: примеры обращений", ""]
        lines += [f"> {e['text']}\n>\n> — {e['number']}\n" for e in t.examples]
    return "\n".join(lines).rstrip() + "\n"
