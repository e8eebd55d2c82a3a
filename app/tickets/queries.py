"""Listing tickets: one page as one statement (full-text search included), keyset pagination."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    Interval,
    and_,
    func,
    literal_column,
    tuple_,
    union_all,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.errors import ValidationFailed
from app.models.pagination import decode_cursor, encode_cursor
from app.models.tickets import Applicant, Ticket
from app.tickets import nearest
from app.tickets.filters import (
    TicketFilters,
    all_words_needed,
    conditions,
    filter_params,
    is_open,
    param,
    search_words,
    visible_to,
)

__all__ = [
    "SORTS",
    "TicketFilters",
    "count_tickets",
    "is_open",
    "list_tickets",
    "param",
    "visible_to",
]

_TS = DateTime(timezone=True)
_INFINITY_SQL = literal_column("'9999-12-31 23:59:59.999999+00'::timestamptz", _TS)
_ZERO = literal_column("interval '0'", Interval())
SORTS = ("-created_at", "created_at", "resolution_due_at", nearest.SORT)
_INFINITY = datetime.max.replace(year=9999).isoformat() + "+00:00"
_MAX_ID = 2**63 - 1
# A full-text page newest first looks at this many newest tickets of the caller's scope first
# (after the cursor, in index order): a word in more than 1 of 40 of them fills the page there.
# Only when they hold less than a page does it take every match through the GIN indexes and
# sort them (the word is rare in this scope, so they are few). Both in one statement.
SEARCH_RECENT = 2000
# Across departments the newest tickets lie side by side in the table: a row of that walk costs
# about a quarter of a department's (1.4 against 5-6 µs at 1 000 000 tickets), and a word's GIN
# bitmap about 0.35 µs a match (17 000 matches: 6 ms), so that walk is longer (1 in 100 fills).
SEARCH_RECENT_ACROSS = 5 / 2  # × SEARCH_RECENT
# Before the walk the SEARCH_PROBE newest tickets of the scope are asked for SEARCH_PROBE_HITS
# matches (stopping at the last: a few rows for a common word). Fewer, and the word is rare in
# the scope (under about 1 in 100): the walk would read every row for less than a page, so it
# is skipped and the page comes from the GIN indexes.
SEARCH_PROBE = 200
SEARCH_PROBE_HITS = 2
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
    scope = params.get("viewer_department") or params.get("department")
    if "q" in params and scope and all_words_needed(params["q"]):
        params["scope_department"] = scope
    if "q" in params and sort == "-created_at":
        across = scope is None
        params["recent"] = int(SEARCH_RECENT * (SEARCH_RECENT_ACROSS if across else 1))
        params["probe"] = SEARCH_PROBE
        params["probe_hits"] = SEARCH_PROBE_HITS
        if principal.sees_all_departments:
            newest = min(now, params.get("cursor_key", now))
            params["since"] = newest - SEARCH_MONTH
    params["limit"] = limit + 1
    return params


def sort_key(sort: str, filters: TicketFilters) -> Any:
    """The page's order key: created_at, the resolution deadline or the nearest running
    deadline (``app.tickets.nearest``; none: last)."""
    key_col: Any = col(Ticket.created_at)
    if sort == "resolution_due_at":
        key_col = func.coalesce(col(Ticket.resolution_due_at), _INFINITY_SQL)
    elif sort == nearest.SORT:
        key_col = func.coalesce(nearest.nearest_due_sql(), _INFINITY_SQL)
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
        visible_to(principal), *conditions(filters, params)
    )
    if "cursor_key" in params:
        pair = tuple_(key_col, col(Ticket.id))
        after = tuple_(param("cursor_key", _TS), param("cursor_id", BigInteger()))
        ids = ids.where(pair < after if desc else pair > after)
    order = [key_col.desc(), col(Ticket.id).desc()] if desc else [key_col, col(Ticket.id)]
    return ids.order_by(*order).limit(param("limit", Integer()))


def _search_ids(principal: Principal, filters: TicketFilters, params: dict[str, Any]) -> Any:
    """A full-text page newest first, in one statement of up to three steps, each run only
    when the ones before it found less than a page (PostgreSQL's one-time filters):

    1. the matches among the ``SEARCH_RECENT`` newest tickets of the scope, in index order:
       a word common in the scope fills the page here, whatever the planner would guess —
       unless the ``SEARCH_PROBE`` newest hold fewer than ``SEARCH_PROBE_HITS`` matches (the
       word is rare in the scope: the walk would read every row for less than a page);
    2. across all departments only, the last month in the order the planner picks (walk
       backwards, or GIN and the month's range): right for words the statistics know;
    3. every match through the GIN indexes (``ix_tickets_search``; in one department
       ``ix_tickets_scoped_words``), sorted: the word is rare in this scope.

    A department skips step 2: PostgreSQL takes a department and a word as independent, so
    for a word of another department's tickets it expects a match every few rows and walks
    the department's whole month. Every step gives the same rows in the same order as one
    query over everything (each looks at tickets newer than all it leaves out); the probe
    only decides whether step 1 runs.
    """
    limit = param("limit", Integer())
    no_words = {k: v for k, v in params.items() if k not in ("q", "scope_department")}

    def newest(size: str, name: str) -> Any:
        """The ``size`` newest tickets of the scope after the cursor, with their words."""
        rows = _ids(
            principal,
            filters,
            no_words,
            "-created_at",
            col(Ticket.created_at),
            [col(Ticket.created_at), col(Ticket.search)],
        )
        return rows.limit(param(size, Integer())).subquery(name)

    probed = newest("probe", "probed")
    hits = param("probe_hits", Integer())
    probe = (
        select(probed.c.id).where(probed.c.search.op("@@")(search_words())).limit(hits)
    ).subquery("probe")
    common = select(func.count()).select_from(probe).scalar_subquery() >= hits
    recent = newest("recent", "newest")
    steps = [
        select(recent.c.id)
        .where(common, recent.c.search.op("@@")(search_words()))  # common: a one-time filter
        .order_by(recent.c.created_at.desc(), recent.c.id.desc())
        .limit(limit)
        .cte("recent_hits")
    ]
    if "since" in params:
        month = _ids(principal, filters, params, "-created_at", col(Ticket.created_at))
        steps.append(month.where(col(Ticket.created_at) >= param("since", _TS)).cte("month"))
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
    if sort == nearest.SORT:
        key = nearest.nearest_due(last)
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
        .where(visible_to(principal), *conditions(filters, params))
    )
    return int((await session.exec(stmt, params=params)).one())
