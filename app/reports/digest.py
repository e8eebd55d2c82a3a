"""The weekly digest for «Глава в ответе»: the week's real dates, themes with what was done on
them, districts, places where one problem repeats, departments' timeliness with the counts
behind every share, and a draft paragraph (``app.reports.digest_text``). It quotes nobody
unless asked (``quotes``); a quote then passes ``app.reports.scrub``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.types import DateTime
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.config import Settings
from app.directory import service as directory
from app.errors import Forbidden, ValidationFailed
from app.models.common import Role
from app.models.tickets import Applicant, Ticket
from app.reports.digest_departments import department_rows
from app.reports.digest_incidents import IncidentTotals, WeekIncident, week_incidents, week_totals
from app.reports.digest_queries import (
    ADDRESSES,
    ANSWERED,
    DISTRICTS,
    SENSITIVE_FAMILIES,
    THEMES,
)
from app.reports.scrub import applicant_parts, scrub_address, scrub_quote

TOP_THEMES = 5
HOT_ADDRESSES = 10
EXAMPLES = 5
HIGHLIGHTS = 3

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(value: str) -> date:
    """``2026-W47`` → the Monday of that ISO week."""
    match = _WEEK.match(value.strip())
    if not match:
        raise ValidationFailed("week must look like 2026-W47", field="week")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValidationFailed(f"no such ISO week: {value}", field="week") from None


async def digest_scope(
    session: AsyncSession, principal: Principal, department: str | None
) -> str | None:
    """The department the digest covers (None: the whole city), as the caller may see it:
    admins and the triage department's managers (the press service) any; others their own."""
    if principal.role == Role.admin or not principal.department_code:
        return department
    triage = await directory.triage_department(session)
    if principal.department_code == triage.code:
        return department
    if department is not None and department != principal.department_code:
        raise Forbidden("a manager sees the digest of their own department only")
    return principal.department_code


@dataclass
class Theme:
    category: str
    name: str
    count: int
    previous: int
    growth_percent: float | None
    answered: int = 0  # final answers given this week (whenever received; reopened since too)
    answered_judged: int = 0  # of them with a resolution deadline
    answered_on_time: int = 0
    highlights: list[dict[str, str]] = field(default_factory=list)  # answered this week
    examples: list[dict[str, str]] = field(default_factory=list)  # only with quotes


@dataclass
class Digest:
    week: str
    period_from: datetime
    period_to: datetime
    dates: str  # «16.11.2026–22.11.2026», the week's days in the city
    department: str | None
    total: int
    previous_total: int
    top_themes: list[Theme]
    growing_themes: list[Theme]  # rising, and not already among the top themes
    hot_addresses: list[dict[str, object]]
    districts: list[dict[str, object]]
    departments: list[dict[str, object]]
    quotes: bool = False
    draft: str = ""
    incidents: list[WeekIncident] = field(default_factory=list)  # the week's mass incidents
    # All of the week's incidents counted (``incidents`` lists the largest ten).
    incident_totals: IncidentTotals = field(default_factory=IncidentTotals)


_P = (
    bindparam("start", type_=DateTime(timezone=True)),
    bindparam("prev", type_=DateTime(timezone=True)),
    bindparam("end", type_=DateTime(timezone=True)),
    bindparam("now", type_=DateTime(timezone=True)),
)


async def _all(session: AsyncSession, sql: str, params: Mapping[str, object]) -> list[Any]:
    binds = [b for b in _P if f":{b.key}" in sql]
    result = await session.exec(text(sql).bindparams(*binds), params=params)  # type: ignore[call-overload]
    return list(result.all())


def week_dates(start: datetime) -> str:
    last = (start + timedelta(days=6)).date()
    return f"{start.date():%d.%m.%Y}–{last:%d.%m.%Y}"


async def weekly_digest(
    session: AsyncSession,
    week: str,
    *,
    department: str | None,
    settings: Settings,
    now: datetime,
    quotes: bool = False,
) -> Digest:
    """The digest of one ISO week in the city's time zone (``department``: one, else all)."""
    from app.reports.digest_text import draft_paragraph

    monday = parse_week(week)
    start = datetime.combine(monday, time(), settings.tz)
    end, prev = start + timedelta(days=7), start - timedelta(days=7)
    params = {"start": start, "prev": prev, "end": end, "now": now, "dept": department}
    rows = await _all(session, THEMES, params)
    themes = [Theme(r[0], r[1], int(r[2]), int(r[3]), _growth(int(r[2]), int(r[3]))) for r in rows]
    top = sorted((t for t in themes if t.count), key=lambda t: (-t.count, t.category))[:TOP_THEMES]
    tops = {t.category for t in top}
    growing = sorted(
        (t for t in themes if t.count > t.previous and t.category not in tops),
        key=lambda t: (-(t.count - t.previous), t.category),
    )[:TOP_THEMES]
    answered = {r[0]: r for r in await _all(session, ANSWERED, params)}
    for theme in top:
        got = answered.get(theme.category)
        if got is not None:
            theme.answered, theme.answered_judged, theme.answered_on_time = map(int, got[1:4])
        if theme.category in SENSITIVE_FAMILIES:
            continue  # social protection, health: never a place, never a quote
        theme.highlights = await _highlights(session, theme.category, params, quotes)
        if quotes:
            theme.examples = await _examples(session, theme.category, start, end, department)
    addresses = await _all(session, ADDRESSES, {**params, "limit": HOT_ADDRESSES})
    digest = Digest(
        week=f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}",
        period_from=start,
        period_to=end,
        dates=week_dates(start),
        department=department,
        total=sum(t.count for t in themes),
        previous_total=sum(t.previous for t in themes),
        top_themes=top,
        growing_themes=growing,
        hot_addresses=[
            {
                "address": scrub_address(r[0]),
                "count": int(r[1]),
                "family": r[2],
                "family_name": r[3],
                "categories": list(r[4]),
            }
            for r in addresses
        ],
        districts=[
            {"district": r[0], "name": r[1] or "район не указан", "count": int(r[2])}
            for r in await _all(session, DISTRICTS, params)
        ],
        departments=await department_rows(session, params),
        quotes=quotes,
    )
    digest.incidents = await week_incidents(session, params)
    digest.incident_totals = await week_totals(session, params)
    digest.draft = draft_paragraph(digest)
    return digest


def _growth(count: int, previous: int) -> float | None:
    return round(100.0 * (count - previous) / previous, 1) if previous else None


async def _highlights(
    session: AsyncSession, category: str, params: Mapping[str, object], quotes: bool
) -> list[dict[str, str]]:
    """Up to three appeals of the theme answered this week: number, place (never a flat), the
    day answered; the answer's first lines (scrubbed) only where quotes are wanted."""
    from app.models.tickets import TicketAnswer

    stmt = (
        select(Ticket, TicketAnswer)
        .outerjoin(  # answered in the source's own office: no text here, still done
            TicketAnswer,
            (col(TicketAnswer.ticket_id) == col(Ticket.id)) & (col(TicketAnswer.kind) == "final"),
        )
        .where(
            Ticket.category_code == category,
            col(Ticket.answered_at) >= params["start"],
            col(Ticket.answered_at) < params["end"],  # reopened since: still an answer given
            Ticket.status != "merged",
        )
        .order_by(col(Ticket.answered_at).desc(), col(TicketAnswer.id).desc())
    )
    if params["dept"] is not None:
        stmt = stmt.where(Ticket.department_code == params["dept"])
    out: dict[int, dict[str, str]] = {}
    tz = params["start"].tzinfo  # type: ignore[attr-defined]
    for ticket, answer in (await session.exec(stmt)).all():
        if ticket.id in out or ticket.answered_at is None:
            continue
        item = {
            "number": ticket.number,
            "address": scrub_address(ticket.address) or "",
            "answered_on": f"{ticket.answered_at.astimezone(tz):%d.%m.%Y}",
        }
        if quotes and answer is not None:
            item["answer"] = scrub_quote(answer.text)[:300]
        out[ticket.id or 0] = item
        if len(out) == HIGHLIGHTS:
            break
    return list(out.values())


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
        picked[place] = {
            "number": ticket.number,
            "source": ticket.source,
            "text": scrub_quote(ticket.text, applicant_parts(applicant))[:600],
        }
        if len(picked) == EXAMPLES:
            break
    return list(picked.values())
