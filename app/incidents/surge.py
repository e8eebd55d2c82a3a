"""Surge detection on the database, and new tickets joining open incidents.

``detect`` is one pass of the ``incidents`` worker loop (every 30 s, a singleton): the last
window's tickets that were never in an incident first join an open incident of their problem
and area; the rest are grouped per problem family × district and tested against the cell's
history (``app.incidents.detection``); a surge opens a ``suspected`` incident holding them.

``join_new_tickets`` is the intake's hook (``app.intake.batch.process``), so a ticket of an
open incident joins it in the batch that made it, not up to 30 s later: one indexed query
when no incident is open, which is nearly always.

Same problem: the same category (``problem_of``: ПОС «Водоснабжение» and an IM post mapped to
``water`` meet; the fallback category «Иное» counts per department routing chose). Not the
department (``Reference.dedup_family``): a heating incident must not take «нет света», «Лифт
не работает» or «Плата за ЖКУ» of the same department and hand them its «тепло дадут к
вечеру». Nor a parent or child category: «Многоквартирные дома» holds lifts, payments and
capital repairs; an operator links such a ticket by hand when it is the same problem. Same
area: the incident's district; a ticket without a district, one of the streets its tickets
named (a post with no district but «ул. Ленина» still joins). In the window: from one window
before the incident's first ticket to ``join_after`` after its last.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import settings_of
from app.dedup.place import street_of
from app.directory import reference
from app.incidents import links
from app.incidents.detection import (
    DEFAULT_RULES,
    Baseline,
    SurgeRules,
    judge,
    resonance_weight,
)
from app.models.directory import Category, District
from app.models.incidents import (
    OPEN_INCIDENT_STATUSES,
    Incident,
    IncidentStatus,
    IncidentTicket,
    LinkedBy,
)
from app.models.tickets import Ticket

ACTOR = "system:incidents"
# History of the cells being tested: all-day counts and counts in the window's clock hours,
# without tickets that were ever part of an incident.
_HISTORY = text(
    "SELECT t.category_code, t.department_code, t.district_code, count(*), "
    "count(*) FILTER (WHERE CAST(extract(hour FROM t.created_at AT TIME ZONE :tz) AS int) "
    "= ANY(CAST(:hours AS int[]))) "
    "FROM tickets t WHERE t.created_at >= :from_at AND t.created_at < :to_at "
    "AND t.district_code = ANY(CAST(:districts AS text[])) "
    "AND NOT EXISTS (SELECT 1 FROM incident_tickets l WHERE l.ticket_id = t.id) "
    "GROUP BY 1, 2, 3"
)

# How much history the hub holds: the days (city time) with any ticket in the history span.
_DAYS = text(
    "SELECT count(DISTINCT CAST(created_at AT TIME ZONE :tz AS date)), count(*) FROM tickets "
    "WHERE created_at >= :from_at AND created_at < :to_at"
)
# The city's traffic in the window may be at most this many times what its history leads one to
# expect (plus a few tickets) for that history to speak for the present.
_REPRESENTATIVE = 10.0
_REPRESENTATIVE_SLACK = 20
_DISTRICTS = text("SELECT count(*) FROM districts")
Cell = tuple[str, str]  # (problem, district)


def problem_of(ref: reference.Reference, category: str, department: str | None) -> str:
    """Which problem a ticket is about, for detection and joining: its category; for the
    fallback category (a post nobody could classify), the fallback per department."""
    found = ref.categories.get(category)
    if found is not None and found.is_fallback and department:
        return f"{category}:{department}"
    return category


async def open_incidents(session: AsyncSession) -> list[Incident]:
    """Incidents that take new tickets (suspected, confirmed, resolving), newest first."""
    rows = await session.exec(
        select(Incident)
        .where(col(Incident.status).in_([s.value for s in OPEN_INCIDENT_STATUSES]))
        .order_by(col(Incident.id).desc())
    )
    return list(rows.all())


def _matches(incident: Incident, ticket: Ticket, family: str, rules: SurgeRules) -> bool:
    if incident.family != family and not (
        # An incident opened before problems were categories (``dept:…``): its category.
        incident.family.startswith("dept:") and family == incident.category_code
    ):
        return False
    if ticket.district_code is not None and incident.district_code is not None:
        in_area = ticket.district_code == incident.district_code
    else:
        in_area = (street_of(ticket.address_key) or "\0") in incident.streets
    return in_area and (
        incident.window_start_at - rules.window
        <= ticket.created_at
        <= incident.window_end_at + rules.join_after
    )


async def _join(
    session: AsyncSession,
    tickets: Sequence[Ticket],
    incidents: Sequence[Incident],
    rules: SurgeRules,
    *,
    now: datetime | None,
    wait: bool,
) -> list[Ticket]:
    """Link the tickets that match an open incident (the newest matching one); the rest."""
    if not incidents or not tickets:
        return list(tickets)
    ref = await reference.current(session)
    chosen: dict[int, list[Ticket]] = defaultdict(list)
    rest: list[Ticket] = []
    for ticket in tickets:
        family = problem_of(ref, ticket.category_code, ticket.department_code)
        match = next((i for i in incidents if _matches(i, ticket, family, rules)), None)
        if match is None or match.id is None:
            rest.append(ticket)
        else:
            chosen[match.id].append(ticket)
    for incident_id in sorted(chosen):
        # The intake does not wait behind a fan-out in progress (nor risk a deadlock with it,
        # holding its own tickets' locks): detection joins those tickets on its next pass.
        incident = await _locked(session, incident_id, wait=wait)
        if incident is None or incident.status not in OPEN_INCIDENT_STATUSES:
            rest.extend(chosen[incident_id])
            continue
        group = chosen[incident_id]
        at = now or max(max(t.received_at, t.created_at) for t in group)
        await links.link(session, incident, group, how=LinkedBy.rule, actor=ACTOR, now=at)
    return rest


async def _locked(session: AsyncSession, incident_id: int, *, wait: bool) -> Incident | None:
    """The incident row locked; without ``wait``, None while another transaction holds it."""
    rows = await session.exec(
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update(skip_locked=not wait)
        .execution_options(populate_existing=True)
    )
    return rows.first()


def _never_linked() -> object:
    return ~exists().where(col(IncidentTicket.ticket_id) == col(Ticket.id))


async def join_new_tickets(
    session: AsyncSession,
    ticket_ids: Iterable[int | None],
    *,
    rules: SurgeRules = DEFAULT_RULES,
) -> int:
    """Link the intake batch's new tickets to the open incidents they belong to; how many.

    The link time is the ticket's receipt (the intake's clock); a ticket linked to an incident
    that already published a message gets that message at once (``links.link``).
    """
    wanted = [i for i in ticket_ids if i is not None]
    if not wanted:
        return 0
    incidents = await open_incidents(session)
    if not incidents:
        return 0
    rows = await session.exec(
        select(Ticket)
        .where(col(Ticket.id).in_(wanted), _never_linked())  # type: ignore[arg-type]
        .order_by(col(Ticket.id))
    )
    tickets = list(rows.all())
    rest = await _join(session, tickets, incidents, rules, now=None, wait=False)
    return len(tickets) - len(rest)


async def detect(
    session: AsyncSession, *, now: datetime, rules: SurgeRules = DEFAULT_RULES
) -> list[Incident]:
    """One detection pass: join what belongs to open incidents, open the new surges."""
    since = now - rules.window
    rows = await session.exec(
        select(Ticket)
        .where(
            col(Ticket.created_at) > since,
            col(Ticket.created_at) <= now,
            col(Ticket.status) != "rejected",
            _never_linked(),  # type: ignore[arg-type]
        )
        .order_by(col(Ticket.id))
    )
    rest = await _join(
        session, list(rows.all()), await open_incidents(session), rules, now=now, wait=True
    )
    ref = await reference.current(session)
    cells: dict[Cell, list[Ticket]] = defaultdict(list)
    for ticket in rest:
        if ticket.district_code is not None:
            family = problem_of(ref, ticket.category_code, ticket.department_code)
            cells[(family, ticket.district_code)].append(ticket)
    per_family: Counter[str] = Counter()
    for (family, _district), found in cells.items():
        per_family[family] += len(found)
    # The other districts of the city (a young cell is compared with their mean).
    districts = max((await session.exec(_DISTRICTS)).one()[0] - 1, 1)  # type: ignore[call-overload]
    # A young cell's least expectation: its even share of the rest of the window's traffic.
    total, slots = sum(per_family.values()), max(len(per_family) * (districts + 1) - 1, 1)
    cells = {c: ts for c, ts in cells.items() if len(ts) >= rules.min_raw}
    if not cells:
        return []
    history = await _history(session, cells, now=now, rules=rules, in_window=total)
    opened = []
    for cell in sorted(cells):
        tickets = cells[cell]
        weights = [resonance_weight(priority=t.priority, extra=t.extra) for t in tickets]
        elsewhere = (per_family[cell[0]] - len(tickets)) / districts
        share = (total - len(tickets)) / slots
        verdict = judge(weights, history[cell], rules, elsewhere=elsewhere, share=share)
        if verdict.surge:
            figures = {**verdict.as_json(), "window_minutes": rules.window // timedelta(minutes=1)}
            incident = await _open(session, cell, tickets, figures, now=now)
            incident.info_risk_score = round(verdict.info_risk_score, 3)
            incident.info_risk = verdict.info_risk
            opened.append(incident)
    return opened


def window_hours(now: datetime, window: timedelta, tz: object) -> list[int]:
    """The clock hours (city time) the window ``(now − window, now]`` touches."""
    hours, at = [], now - window
    while at < now:
        hour = at.astimezone(tz).hour  # type: ignore[arg-type]
        if hour not in hours:
            hours.append(hour)
        at = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return hours


async def _history(
    session: AsyncSession,
    cells: dict[Cell, list[Ticket]],
    *,
    now: datetime,
    rules: SurgeRules,
    in_window: int,
) -> dict[Cell, Baseline]:
    settings = settings_of(session)
    ref = await reference.current(session)
    to_at = now - rules.window
    hours = window_hours(now, rules.window, settings.tz)
    params = {
        "tz": settings.timezone,
        "hours": hours,
        "from_at": to_at - timedelta(days=rules.history_days),
        "to_at": to_at,
        "districts": sorted({d for _, d in cells}),
    }
    totals: Counter[Cell] = Counter()
    same: Counter[Cell] = Counter()
    for category, department, district, n, n_same in (
        await session.exec(_HISTORY, params=params)  # type: ignore[call-overload]
    ).all():
        cell = (problem_of(ref, category, department), district)
        totals[cell] += n
        same[cell] += n_same
    # How much history the hub holds: the days with tickets in the span, not the date of its
    # first ticket (one back-dated webhook on a fresh hub would make it look a month old). A
    # young one's rates stay over the whole 28 days (small), and its cells must also stand
    # out against the other districts (``judge``); a mature one's rates are over those days.
    # And the history must speak for the present: a few back-dated items on a few days (a
    # source pushing old items' updates on a hub's first day) are days with tickets, but
    # hundreds of tickets an hour against a handful a week is a young hub's traffic, not seven
    # days' worth of baseline. So the city's tickets in the window (``in_window``) must be
    # within ten times what its history expects, plus a few.
    days, held = (await session.exec(_DAYS, params=params)).one()  # type: ignore[call-overload]
    expected = held / max(days * 24.0, 1.0) * (rules.window / timedelta(hours=1))
    speaks = in_window <= _REPRESENTATIVE * expected + _REPRESENTATIVE_SLACK
    mature = days >= rules.min_history / timedelta(days=1) and speaks
    span = days * 24.0 if mature else rules.history_days * 24.0
    same_span = span / 24.0 * len(hours)
    return {c: Baseline(totals[c], span, same[c], same_span, mature) for c in cells}


async def _open(
    session: AsyncSession,
    cell: Cell,
    tickets: list[Ticket],
    figures: dict[str, object],
    *,
    now: datetime,
) -> Incident:
    family, district = cell
    category = Counter(t.category_code for t in tickets).most_common(1)[0][0]
    title = await incident_title(session, category, district)
    first = min(t.created_at for t in tickets)
    incident = Incident(
        title=title,
        category_code=category,
        family=family,
        district_code=district,
        status=IncidentStatus.suspected.value,
        opened_by="rule",
        window_start_at=first,
        window_end_at=first,
        detection=figures,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    await session.flush()
    await links.link(session, incident, tickets, how=LinkedBy.rule, actor=ACTOR, now=now)
    return incident


async def incident_title(session: AsyncSession, category: str, district: str | None) -> str:
    """«Водоснабжение — Центральный район»: the category's and the district's names."""
    found = await session.get(Category, category)
    name = found.name if found is not None else category
    if district is None:
        return name
    place = await session.get(District, district)
    return f"{name} — {place.name if place is not None else district}"
