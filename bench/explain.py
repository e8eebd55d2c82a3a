"""EXPLAIN ANALYZE of the hot queries, built by the app's own query code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from app.access.api_keys import RESOLVE_SQL, Principal
from app.db import SERVER_SETTINGS
from app.models.common import Role
from app.tickets import pages, queries
from app.tickets.queries import TicketFilters


def list_sql(
    principal: Principal, filters: TicketFilters, *, sort: str = "-created_at"
) -> tuple[str, list[Any]]:
    """The SQL and parameters the API's list sends for these filters (first page, 50): the
    one statement of app.tickets.pages, compiled by the app's own code."""
    now = datetime.now(UTC)
    params = queries.page_params(
        principal=principal, filters=filters, sort=sort, limit=50, cursor=None, now=now
    )
    params["now"] = now
    statement = pages.list_statement(
        principal, filters, params, sort=sort, dialect=PGDialect_asyncpg()
    )
    return statement.sql, statement.args(params)


def detail_sql(principal: Principal, ticket_id: int) -> tuple[str, list[Any]]:
    """The ticket page's one statement."""
    params = pages.detail_params(principal, ticket_id, datetime.now(UTC))
    statement = pages.detail_statement(principal, PGDialect_asyncpg())
    return statement.sql, statement.args(params)


ADMIN = Principal(1, Role.admin, None, "bench")


def operator(department: str) -> Principal:
    return Principal(2, Role.operator, department, "bench")


LIST_CASES: dict[str, tuple[Principal, TicketFilters]] = {
    "list_admin_newest": (ADMIN, TicketFilters()),
    "list_dept_open": (operator("zhkh"), TicketFilters(status=["routed", "in_progress"])),
    "list_dept_routed": (operator("zhkh"), TicketFilters(status=["routed"])),
    "list_dept_category": (operator("zhkh"), TicketFilters(category="heating")),
    "list_overdue": (ADMIN, TicketFilters(overdue=True)),
    "list_dept_overdue": (operator("zhkh"), TicketFilters(overdue=True)),
    "search_common": (ADMIN, TicketFilters(q="отопление")),
    "search_rare": (ADMIN, TicketFilters(q="теплотрасса пар")),
    "search_two_words": (ADMIN, TicketFilters(q="нет воды")),
    "search_dept": (operator("roads"), TicketFilters(q="яма")),
    "search_dept_absent": (operator("zhkh"), TicketFilters(q="мусор")),
    "search_month": (ADMIN, TicketFilters(q="фонари")),  # under 1 in 40 of the newest 2000
    "search_absent": (ADMIN, TicketFilters(q="трамвай")),  # in no ticket: all three steps
}


async def explain_all(dsn: str, extra: dict[str, tuple[str, list[Any]]] | None = None) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each hot query, as one text report."""
    cases: dict[str, tuple[str, list[Any]]] = {}
    out = []
    conn = await asyncpg.connect(dsn, server_settings=SERVER_SETTINGS)  # as the app's
    try:
        for name, (principal, filters) in LIST_CASES.items():
            cases[name] = list_sql(principal, filters)
        cases["detail"] = detail_sql(operator("zhkh"), 12345)
        cases["api_key"] = (RESOLVE_SQL.format(param="$1"), ["0" * 64])
        cases["metrics_counters"] = (
            "SELECT name, labels, sum(value) FROM metric_counters GROUP BY name, labels "
            "ORDER BY name, labels",
            [],
        )
        cases.update(extra or {})
        for name, (sql, params) in cases.items():
            await conn.fetch(f"EXPLAIN ANALYZE {sql}", *params)  # warm the cache
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
            plan = "\n".join(r[0] for r in rows)
            out.append(f"### {name}\n{sql}\n-- params: {params!r}\n{plan}\n")
    finally:
        await conn.close()
    return "\n".join(out)
