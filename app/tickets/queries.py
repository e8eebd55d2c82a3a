"""Listing tickets: filters, full-text search, keyset pagination."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Interval,
    String,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    tuple_,
    union_all,
)
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


# Every value a page query takes is a named bound parameter (``page_params``), never a literal
# baked into the statement: the same statement, compiled once per shape, serves every caller
# (app.tickets.pages). Constants are SQL literals.
_TS = DateTime(timezone=True)
_EQUAL = (
    ("department", Ticket.department_code),
    ("category", Ticket.category_code),
    ("source", Ticket.source),
    ("kind", Ticket.kind),
    ("priority", Ticket.priority),
    ("district", Ticket.district_code),
)
_INFINITY_SQL = literal_column("'9999-12-31 23:59:59.999999+00'::timestamptz", _TS)
_ZERO = literal_column("interval '0'", Interval())


def _param(name: str, type_: Any = None) -> Any:
    return bindparam(name, type_=type_)


def is_open() -> ColumnElement[bool]:
    """The ticket is in an open status (constants in the SQL: partial indexes match them)."""
    return col(Ticket.status).in_([literal_column(f"'{s}'") for s in OPEN])


def filter_params(f: TicketFilters, now: datetime) -> dict[str, Any]:
    """The bound values of ``_conditions``: one per filter given."""
    params: dict[str, Any] = {}
    if len(f.status) == 1:
        # One status is an equality: ix_tickets_status_created then serves the order too.
        params["status"] = f.status[0]
    elif f.status:
        params["statuses"] = list(f.status)
    for name, _ in _EQUAL:
        if getattr(f, name) is not None:
            params[name] = getattr(f, name)
    if f.created_from is not None:
        params["created_from"] = f.created_from
    if f.created_to is not None:
        params["created_to"] = f.created_to
    if f.overdue is not None or f.at_risk is not None:
        params["now"] = now
    if f.q:
        params["q"] = search_query(f.q)
    return params


def _conditions(f: TicketFilters, params: dict[str, Any]) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if "status" in params:
        conds.append(col(Ticket.status) == _param("status", String()))
    if "statuses" in params:
        conds.append(col(Ticket.status) == any_(_param("statuses", ARRAY(String()))))
    for name, column in _EQUAL:
        if name in params:
            conds.append(col(column) == _param(name, String()))
    if "created_from" in params:
        conds.append(col(Ticket.created_at) >= _param("created_from", _TS))
    if "created_to" in params:
        conds.append(col(Ticket.created_at) < _param("created_to", _TS))
    now = _param("now", _TS)
    if f.overdue is not None:
        overdue = and_(is_open(), col(Ticket.resolution_due_at) < now)
        conds.append(overdue if f.overdue else ~overdue)
    if f.at_risk is not None:
        # At risk: an open ticket that has used 75 % of its resolution window but is not
        # overdue. The SLA engine stores that moment (working-time aware); older rows fall
        # back to wall time.
        risk_point = func.coalesce(
            col(Ticket.resolution_risk_at),
            col(Ticket.created_at)
            + (col(Ticket.resolution_due_at) - col(Ticket.created_at)) * literal_column("0.75"),
        )
        at_risk = and_(is_open(), col(Ticket.resolution_due_at) >= now, risk_point <= now)
        conds.append(at_risk if f.at_risk else ~at_risk)
    if "q" in params:
        conds.append(col(Ticket.search).op("@@")(_words()))
    return conds


def _words() -> Any:
    """The search's words: lemmas on both sides (app.tickets.search_text), so «батареей» finds
    «холодные батареи»."""
    return func.websearch_to_tsquery(literal_column("'simple'"), _param("q", String()))


SORTS = ("-created_at", "created_at", "resolution_due_at")
_INFINITY = datetime.max.replace(year=9999).isoformat() + "+00:00"
_MAX_ID = 2**63 - 1
# A full-text page newest first looks at this many newest tickets of the caller's scope first
# (after the cursor, in index order): a word in more than 1 of 40 of them fills the page there.
# Only when they hold less than a page does it take every match through the GIN indexes and
# sort them (the word is rare in this scope, so they are few). Both in one statement.
SEARCH_RECENT = 2000
SEARCH_MONTH = timedelta(days=31)


def page_params(
    *,
    principal: Principal,
    filters: TicketFilters,
    sort: str,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Every bound value of one page query (``_page``): filters, viewer, cursor, limit."""
    if sort not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}", field="sort")
    params = filter_params(filters, now)
    if not principal.sees_all_departments:
        params["viewer_department"] = principal.department_code
    if cursor:
        raw_key, raw_id = decode_cursor(cursor, size=2)
        try:
            params["cursor_key"] = datetime.fromisoformat(raw_key)
            params["cursor_id"] = int(raw_id)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed("the cursor is not one this API issued", field="cursor") from exc
        if not 0 <= params["cursor_id"] <= _MAX_ID:
            raise ValidationFailed("the cursor is not one this API issued", field="cursor")
    if "q" in params and sort == "-created_at":
        params["recent"] = SEARCH_RECENT
        if principal.sees_all_departments:
            newest = min(now, params.get("cursor_key", now))
            params["since"] = newest - SEARCH_MONTH
    params["limit"] = limit + 1
    return params


def sort_key(sort: str, filters: TicketFilters) -> Any:
    """The page's order key: created_at, or the resolution deadline (none: last)."""
    key_col: Any = col(Ticket.created_at)
    if sort == "resolution_due_at":
        key_col = func.coalesce(col(Ticket.resolution_due_at), _INFINITY_SQL)
    if filters.overdue:
        # Overdue tickets are few and old: fetch them all through the partial index of open
        # tickets by deadline (index-only) and sort, rather than walk ix_tickets_created
        # backwards past every recent ticket. The same order through an expression no index
        # provides keeps the planner from choosing the walk.
        key_col = key_col + _ZERO
    return key_col


def _ids(
    principal: Principal,
    filters: TicketFilters,
    params: dict[str, Any],
    sort: str,
    key_col: Any,
    columns: Sequence[Any] = (),
) -> Any:
    """The ids of the page's rows (and ``columns``), in order, at most ``limit``."""
    desc = sort.startswith("-")
    ids = select(col(Ticket.id), *columns).where(
        visible_to(principal), *_conditions(filters, params)
    )
    if "cursor_key" in params:
        pair = tuple_(key_col, col(Ticket.id))
        after = tuple_(_param("cursor_key", _TS), _param("cursor_id", BigInteger()))
        ids = ids.where(pair < after if desc else pair > after)
    order = [key_col.desc(), col(Ticket.id).desc()] if desc else [key_col, col(Ticket.id)]
    return ids.order_by(*order).limit(_param("limit", Integer()))


def _search_ids(principal: Principal, filters: TicketFilters, params: dict[str, Any]) -> Any:
    """A full-text page newest first, in one statement of up to three steps, each run only
    when the ones before it found less than a page (PostgreSQL's one-time filters):

    1. the matches among the ``SEARCH_RECENT`` newest tickets of the scope, in index order:
       a word common in the scope fills the page here, whatever the planner would guess;
    2. across all departments only, the last month in the order the planner picks (walk
       backwards, or GIN and the month's range): right for words the statistics know;
    3. every match through the GIN indexes (``ix_tickets_search``, and department + words
       ``ix_tickets_department_search``), sorted: the word is rare in this scope.

    A department skips step 2: PostgreSQL takes a department and a word as independent, so
    for a word of another department's tickets it expects a match every few rows and walks
    the department's whole month. Every step gives the same rows in the same order as one
    query over everything (each looks at tickets newer than all it leaves out).
    """
    limit = _param("limit", Integer())
    newest = _ids(
        principal,
        filters,
        {k: v for k, v in params.items() if k != "q"},  # the scope, without the words
        "-created_at",
        col(Ticket.created_at),
        [col(Ticket.created_at), col(Ticket.search)],
    )
    newest = newest.limit(_param("recent", Integer())).subquery("newest")
    steps = [
        select(newest.c.id)
        .where(newest.c.search.op("@@")(_words()))
        .order_by(newest.c.created_at.desc(), newest.c.id.desc())
        .limit(limit)
        .cte("recent_hits")
    ]
    if "since" in params:
        month = _ids(principal, filters, params, "-created_at", col(Ticket.created_at))
        steps.append(month.where(col(Ticket.created_at) >= _param("since", _TS)).cte("month"))
    branches = []
    short: list[Any] = []  # the steps before this one found less than a page
    for step in steps:
        enough = select(func.count()).select_from(step).scalar_subquery() >= limit
        branches.append(select(step.c.id).where(and_(*short, enough)))
        short.append(~enough)
    everywhere = _ids(
        principal, filters, params, "-created_at", col(Ticket.created_at) + _ZERO
    ).subquery("everywhere")
    branches.append(select(everywhere.c.id).where(and_(*short)))
    return union_all(*branches)


def _page(
    entities: Sequence[Any],
    *,
    principal: Principal,
    filters: TicketFilters,
    params: dict[str, Any],
    sort: str,
) -> Any:
    """The page statement for ``params`` (``page_params``): its shape depends on which values
    are given, never on the values."""
    key_col = sort_key(sort, filters)
    desc = sort.startswith("-")
    # The page's ids first (narrow rows: the sort stays in memory), then the 51 rows and their
    # applicants: joining applicants before the LIMIT probed one per candidate row.
    if "recent" in params:
        page = _search_ids(principal, filters, params).subquery("page")
    else:
        page = _ids(principal, filters, params, sort, key_col).subquery("page")
    order = [key_col.desc(), col(Ticket.id).desc()] if desc else [key_col, col(Ticket.id)]
    return (
        select(*entities)
        .join(page, page.c.id == col(Ticket.id))
        .outerjoin(Applicant, col(Applicant.id) == col(Ticket.applicant_id))
        .order_by(*order)
    )


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
    """One page of rows of ``entities`` (one statement) and the cursor of the next page."""
    params = page_params(
        principal=principal, filters=filters, sort=sort, limit=limit, cursor=cursor, now=now
    )
    stmt = _page(entities, principal=principal, filters=filters, params=params, sort=sort)
    rows = list((await session.exec(stmt, params=params)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1][0]
    key = last.resolution_due_at if sort == "resolution_due_at" else last.created_at
    return rows, next_cursor(key, last.id)


def next_cursor(key: datetime | None, ticket_id: int) -> str:
    """The cursor after the row with this order key and id."""
    return encode_cursor([(key.isoformat() if key else _INFINITY), ticket_id])


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
    rows, cursor_after = await _rows(
        session,
        (Ticket, Applicant),
        principal=principal,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        now=now,
    )
    return [(t, a) for t, a in rows], cursor_after


async def count_tickets(
    session: AsyncSession, *, principal: Principal, filters: TicketFilters, now: datetime
) -> int:
    """How many visible tickets match ``filters`` (progress bars of exports)."""
    params = filter_params(filters, now)
    if not principal.sees_all_departments:
        params["viewer_department"] = principal.department_code
    stmt = (
        select(func.count())
        .select_from(Ticket)
        .where(visible_to(principal), *_conditions(filters, params))
    )
    return int((await session.exec(stmt, params=params)).one())
