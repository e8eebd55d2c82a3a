"""The inbox: the department's tickets, nearest running deadline first, with every deadline on
its row, a search box for numbers, words and answers, and what was just handed over."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import NowDep, SessionDep
from app.console import handover, inbox_filters, targets
from app.console.deps import ConsoleDep, render
from app.console.paging import STALE_CURSOR, cursor_page
from app.directory import service as directory
from app.feedback.queries import unhappy_tickets
from app.models.common import Source, Status
from app.tickets.queries import count_tickets

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE = 25


@router.get("", response_class=HTMLResponse)
async def inbox(
    request: Request,
    session: SessionDep,
    console: ConsoleDep,
    now: NowDep,
    status: Annotated[str, Query(max_length=32)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    source: Annotated[str, Query(max_length=32)] = "",
    overdue: Annotated[str, Query(max_length=8)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
    sort: Annotated[str, Query(max_length=16)] = "",
    done: Annotated[str, Query(max_length=32)] = "",
    to: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    valid_status = inbox_filters.valid_status(status)
    valid_source = source if source in {s.value for s in Source} else ""
    valid_sort = inbox_filters.valid_sort(sort)
    filters = inbox_filters.inbox_filters(
        status=valid_status,
        category=category,
        source=valid_source,
        overdue=overdue,
        q=q,
        settings=console.settings,
        now=now,
    )
    sort_by = inbox_filters.SORTS[valid_sort][0]
    page = cursor_page(session, console.principal, filters, sort=sort_by, limit=PAGE, now=now)
    rows, next_cursor, stale = await page(cursor)
    categories = await directory.list_categories(session)
    params = {
        "status": valid_status,
        "category": category,
        "source": valid_source,
        "overdue": overdue,
        "q": q,
        "sort": valid_sort,
    }
    return render(
        request,
        "inbox.html",
        {
            "tickets": [t for t, _ in rows],
            "found": await count_tickets(
                session, principal=console.principal, filters=filters, now=now
            ),
            "unhappy": await unhappy_tickets(session, [t.id for t, _ in rows if t.id]),
            "next_cursor": next_cursor,
            "paged": bool(cursor) and not stale,
            "notice": STALE_CURSOR if stale else None,
            "params": params,
            "categories": categories,
            "category_names": {c.code: c.name for c in categories},
            "statuses": [s.value for s in Status],
            "sources": [s.value for s in Source],
            "sorts": {key: name for key, (_, name) in inbox_filters.SORTS.items()},
            "row_targets": lambda ticket: targets.row_targets(ticket, now),
            "priority_names": targets.PRIORITY,
            "passed": handover.message(done, to, console.department_names),
        },
        console=console,
        now=now,
    )
