"""EXPLAIN ANALYZE of the hot queries, built by the app's own query code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from app.access.api_keys import Principal
from app.models.common import Role
from app.models.tickets import Applicant, Ticket
from app.tickets.queries import TicketFilters, list_ticket_rows


class _Capture:
    """Stands in for the session: keeps the statements list_ticket_rows builds."""

    def __init__(self) -> None:
        self.statements: list[Any] = []

    async def exec(self, stmt: Any) -> Any:
        self.statements.append(stmt)

        class _Empty:
            def all(self) -> list[Any]:
                return []

        return _Empty()


async def list_sql(
    principal: Principal,
    filters: TicketFilters,
    *,
    sort: str = "-created_at",
    columns: set[str] | None = None,
    window: int = 0,
) -> tuple[str, list[Any]]:
    """The SQL and parameters the API's list sends for these filters (first page, 50).

    ``window``: a search page may take up to three queries (month, year, all); which one.

    ``columns``: the ticket columns the database has (the model may be ahead of it while
    others are mid-change); the plan does not depend on the select list.
    """
    capture = _Capture()
    await list_ticket_rows(
        capture,  # type: ignore[arg-type]
        principal=principal,
        filters=filters,
        sort=sort,
        limit=50,
        cursor=None,
        now=datetime.now(UTC),
    )
    stmt = capture.statements[window]
    if columns is not None and not {c.name for c in Ticket.__table__.c} <= columns:  # type: ignore[attr-defined]
        keep = [c for c in Ticket.__table__.c if c.name in columns]  # type: ignore[attr-defined]
        stmt = stmt.with_only_columns(*keep, Applicant.__table__.c.id)  # type: ignore[attr-defined]
    compiled = stmt.compile(
        dialect=PGDialect_asyncpg(), compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    names = compiled.positiontup or []
    return str(compiled), [params[n] for n in names]


ADMIN = Principal(1, Role.admin, None, "bench")


def operator(department: str) -> Principal:
    return Principal(2, Role.operator, department, "bench")


LIST_CASES: dict[str, tuple[Principal, TicketFilters]] = {
    "list_admin_newest": (ADMIN, TicketFilters()),
    "list_dept_open": (operator("zhkh"), TicketFilters(status=["routed", "in_progress"])),
    "list_dept_category": (operator("zhkh"), TicketFilters(category="heating")),
    "list_overdue": (ADMIN, TicketFilters(overdue=True)),
    "search_common": (ADMIN, TicketFilters(q="отопление")),
    "search_rare": (ADMIN, TicketFilters(q="теплотрасса пар")),
    "search_dept": (operator("roads"), TicketFilters(q="яма")),
}


async def explain_all(dsn: str, extra: dict[str, tuple[str, list[Any]]] | None = None) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each hot query, as one text report."""
    queries: dict[str, tuple[str, list[Any]]] = {}
    out = []
    conn = await asyncpg.connect(dsn)
    try:
        columns = {
            r[0]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name='tickets'"
            )
        }
        for name, (principal, filters) in LIST_CASES.items():
            queries[name] = await list_sql(principal, filters, columns=columns)
            if filters.q:  # the month window above; all time (no index order) here
                queries[f"{name}_unbounded"] = await list_sql(
                    principal, filters, columns=columns, window=1
                )
        queries["detail"] = ("SELECT * FROM tickets WHERE id = $1", [12345])
        queries["api_key"] = ("SELECT * FROM api_keys WHERE key_hash = $1", ["0" * 64])
        queries["metrics_counters"] = (
            "SELECT name, labels, sum(value) FROM metric_counters GROUP BY name, labels "
            "ORDER BY name, labels",
            [],
        )
        queries["metrics_overdue"] = (
            "SELECT department_code, count(*) FROM tickets "
            "WHERE status IN ('new','routed','in_progress') AND resolution_due_at < now() "
            "GROUP BY department_code ORDER BY department_code",
            [],
        )
        queries.update(extra or {})
        for name, (sql, params) in queries.items():
            await conn.fetch(f"EXPLAIN ANALYZE {sql}", *params)  # warm the cache
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
            plan = "\n".join(r[0] for r in rows)
            out.append(f"### {name}\n{sql}\n-- params: {params!r}\n{plan}\n")
    finally:
        await conn.close()
    return "\n".join(out)
