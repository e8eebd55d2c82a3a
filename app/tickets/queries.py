"""Listing tickets: filters, full-text search, keyset pagination."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, literal, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access import visibility
from app.access.api_keys import Principal
from app.errors import ValidationFailed
from app.models.common import OPEN_STATUSES
from app.models.pagination import decode_cursor, encode_cursor
from app.models.tickets import Applicant, Ticket
from app.tickets.search_text import search_query

OPEN = [s.value for s in OPEN_STATUSES]


@dataclass
class TicketFilters:
    status: list[str] = field(default_factory=list)
    department: str | None = None
    category: str | None = None
    source: str | None = None
    kind: str | None = None
    priority: str | None = None
    district: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    overdue: bool | None = None
    at_risk: bool | None = None
    q: str | None = None


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Rows a principal may see: admins all, everyone else their own department."""
    return visibility.seen_in_sql(principal, col(Ticket.department_code))


def _conditions(f: TicketFilters, now: datetime) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.status:
        conds.append(col(Ticket.status).in_(f.status))
    for value, column in (
        (f.department, Ticket.department_code),
        (f.category, Ticket.category_code),
        (f.source, Ticket.source),
        (f.kind, Ticket.kind),
        (f.priority, Ticket.priority),
        (f.district, Ticket.district_code),
    ):
        if value is not None:
            conds.append(col(column) == value)
    if f.created_from is not None:
        conds.append(col(Ticket.created_at) >= f.created_from)
    if f.created_to is not None:
        conds.append(col(Ticket.created_at) < f.created_to)
    if f.overdue is not None:
        overdue = and_(col(Ticket.status).in_(OPEN), col(Ticket.resolution_due_at) < now)
        conds.append(overdue if f.overdue else ~overdue)
    if f.at_risk is not None:
        # At risk: an open ticket that has used 75 % of its resolution window but is not
        # overdue. The SLA engine stores that moment (working-time aware); older rows fall
        # back to wall time.
        risk_point = func.coalesce(
            col(Ticket.resolution_risk_at),
            col(Ticket.created_at)
            + (col(Ticket.resolution_due_at) - col(Ticket.created_at)) * 0.75,
        )
        at_risk = and_(
            col(Ticket.status).in_(OPEN), col(Ticket.resolution_due_at) >= now, risk_point <= now
        )
        conds.append(at_risk if f.at_risk else ~at_risk)
    if f.q:
        # Lemmas on both sides (app.tickets.search_text): «батареей» finds «холодные батареи».
        query = func.websearch_to_tsquery("simple", search_query(f.q))
        conds.append(col(Ticket.search).op("@@")(query))
    return conds


SORTS = ("-created_at", "created_at", "resolution_due_at")
_INFINITY = datetime.max.replace(year=9999).isoformat() + "+00:00"


def _page(
    entities: Sequence[Any],
    *,
    principal: Principal,
    filters: TicketFilters,
    sort: str,
    limit: int,
    cursor: str | None,
    now: datetime,
    since: datetime | None = None,
    by_index_order: bool = True,
) -> Any:
    if sort not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}", field="sort")
    due_key = func.coalesce(
        col(Ticket.resolution_due_at), literal(datetime.fromisoformat(_INFINITY))
    )
    key_col: Any = due_key if sort == "resolution_due_at" else col(Ticket.created_at)
    if not by_index_order:
        # The same order through an expression no index provides: the planner cannot choose to
        # walk ix_tickets_created backwards hoping to meet matches soon (see _rows).
        key_col = key_col + literal(timedelta(0))
    desc = sort.startswith("-")
    # The page's ids first (narrow rows: the sort stays in memory), then the 51 rows and their
    # applicants: joining applicants before the LIMIT probed one per candidate row.
    ids = select(col(Ticket.id)).where(visible_to(principal), *_conditions(filters, now))
    if cursor:
        raw_key, raw_id = decode_cursor(cursor, size=2)
        try:
            key_value = datetime.fromisoformat(raw_key)
            id_value = int(raw_id)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed("the cursor is not one this API issued", field="cursor") from exc
        pair = tuple_(key_col, col(Ticket.id))
        ids = ids.where(pair < (key_value, id_value) if desc else pair > (key_value, id_value))
    if since is not None:
        ids = ids.where(col(Ticket.created_at) >= since)
    order = [key_col.desc(), col(Ticket.id).desc()] if desc else [key_col, col(Ticket.id)]
    page = ids.order_by(*order).limit(limit + 1).subquery("page")
    return (
        select(*entities)
        .join(page, page.c.id == col(Ticket.id))
        .outerjoin(Applicant, col(Applicant.id) == col(Ticket.applicant_id))
        .order_by(*order)
    )


# Full-text pages, newest first, look at the last month first, in index order (a common word
# fills the page after a few hundred rows), and only when the month holds less than a page,
# at all time through the GIN indexes with a sort (the word is rare in this scope, so its
# matches are few). The rows are the same as one unbounded query: everything outside the
# month is older than everything in it, and the cursor's keys are the same values whichever
# form of the order a query used. One unbounded query instead cost 220-310 ms at 1 000 000
# tickets for a word in a few per cent of them (PostgreSQL estimates several correlated words
# far too low and fetches and sorts every match), and 550-630 ms for a word common in the
# city but rare in the caller's department (it walked the whole table backwards). With the
# windows: 2-15 ms (bench/, docs/PERFORMANCE.md). A year as a middle window walked half the
# table in that second case, so there is none.
SEARCH_WINDOWS = (timedelta(days=31), None)


async def _rows(
    session: AsyncSession,
    entities: Sequence[Any],
    *,
    principal: Principal,
    filters: TicketFilters,
    sort: str,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> tuple[list[Any], str | None]:
    """One page of rows of ``entities`` and the cursor of the next page."""
    rows = await _fetch(
        session,
        entities,
        principal=principal,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        now=now,
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1][0] if isinstance(rows[-1][0], Ticket) else rows[-1]
    return rows, _next_cursor(last, sort)


async def _fetch(
    session: AsyncSession,
    entities: Sequence[Any],
    *,
    principal: Principal,
    filters: TicketFilters,
    sort: str,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> list[Any]:
    """Up to ``limit + 1`` rows: one query, or the search windows in turn."""

    def page(since: datetime | None = None, by_index_order: bool = True) -> Any:
        return _page(
            entities,
            principal=principal,
            filters=filters,
            sort=sort,
            limit=limit,
            cursor=cursor,
            now=now,
            since=since,
            by_index_order=by_index_order,
        )

    if not filters.q or sort != "-created_at":
        return list((await session.exec(page())).all())
    anchor = now
    if cursor:
        with contextlib.suppress(ValueError, TypeError):
            anchor = min(anchor, datetime.fromisoformat(decode_cursor(cursor, size=2)[0]))
    for window in SEARCH_WINDOWS:
        if window is None:
            # Fewer than a page in the month: the words are rare here, so fetching every match
            # through the GIN indexes and sorting them is cheap, while a backward walk over the
            # whole table (what the planner picks when it overestimates correlated conditions,
            # e.g. a common word in a department where it is rare) reads all of it.
            return list((await session.exec(page(None, by_index_order=False))).all())
        rows = list((await session.exec(page(anchor - window))).all())
        if len(rows) > limit:
            return rows
    raise AssertionError("the last window is unbounded")


def _next_cursor(last: Any, sort: str) -> str:
    key = last.resolution_due_at if sort == "resolution_due_at" else last.created_at
    return encode_cursor([(key.isoformat() if key else _INFINITY), last.id])


async def list_tickets(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: TicketFilters,
    sort: str,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> tuple[list[tuple[Ticket, Applicant | None]], str | None]:
    """One page of visible tickets (ORM objects, for the console and exports) and the cursor
    of the next page."""
    rows, next_cursor = await _rows(
        session,
        (Ticket, Applicant),
        principal=principal,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        now=now,
    )
    return [(t, a) for t, a in rows], next_cursor


# What a list page shows: the ticket's columns without the search vector and the internal
# JSON, and the applicant's, read as plain rows (no ORM identity map, no change tracking).
_HIDDEN = frozenset({"search", "search_text", "extra", "sla_terms", "address_key"})
_TICKET_COLUMNS = [c for c in Ticket.__table__.c if c.name not in _HIDDEN]  # type: ignore[attr-defined]
_APPLICANT_COLUMNS = [
    c.label(f"applicant_{c.name}")
    for c in Applicant.__table__.c  # type: ignore[attr-defined]
]


@dataclass(frozen=True)
class ApplicantRow:
    """The applicant columns of a listed row (what the presenters read)."""

    full_name: str | None
    surname: str | None
    name: str | None
    patronymic: str | None
    email: str | None
    phone: str | None
    post_address: str | None
    profile_url: str | None
    purged_at: datetime | None


_APPLICANT_FIELDS = tuple(ApplicantRow.__dataclass_fields__)


def _listed(row: Row[Any]) -> tuple[SimpleNamespace, ApplicantRow | None]:
    """A row as an object with the ticket's attribute names (plain attribute reads are what
    the presenter does 40 times a row; a Row's own attribute lookup is several times slower)."""
    values = row._asdict()
    applicant = None
    if values["applicant_id"] is not None:
        applicant = ApplicantRow(*(values[f"applicant_{f}"] for f in _APPLICANT_FIELDS))
    return SimpleNamespace(**values), applicant


async def list_ticket_rows(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: TicketFilters,
    sort: str,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> tuple[list[tuple[SimpleNamespace, ApplicantRow | None]], str | None]:
    """The API's list page: the same query as ``list_tickets`` read as plain rows."""
    rows, next_cursor = await _rows(
        session,
        [*_TICKET_COLUMNS, *_APPLICANT_COLUMNS],
        principal=principal,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        now=now,
    )
    return [_listed(r) for r in rows], next_cursor


async def count_tickets(
    session: AsyncSession, *, principal: Principal, filters: TicketFilters, now: datetime
) -> int:
    """How many visible tickets match ``filters`` (progress bars of exports)."""
    stmt = (
        select(func.count())
        .select_from(Ticket)
        .where(visible_to(principal), *_conditions(filters, now))
    )
    return int((await session.exec(stmt)).one())
