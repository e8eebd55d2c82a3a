"""A console list page by its cursor; a cursor that is stale or garbled starts from the first
page with a notice (the API answers 422 for it; a person just wants the list)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.errors import ValidationFailed
from app.tickets.queries import TicketFilters, list_tickets

STALE_CURSOR = "Ссылка на эту страницу списка устарела — показана первая страница."

Page = tuple[list[Any], str | None, bool]  # rows, the next page's cursor, the cursor was stale


def cursor_page(
    session: AsyncSession,
    principal: Principal,
    filters: TicketFilters,
    *,
    sort: str,
    limit: int,
    now: datetime,
) -> Callable[[str], Awaitable[Page]]:
    """The list from ``cursor`` (``""``: the first page)."""

    async def fetch(cursor: str) -> Page:
        async def at(start: str | None) -> tuple[list[Any], str | None]:
            rows, after = await list_tickets(
                session, principal=principal, filters=filters, sort=sort, limit=limit,
                cursor=start, now=now,
            )  # fmt: skip
            return list(rows), after

        if not cursor:
            return (*await at(None), False)
        try:
            return (*await at(cursor), False)
        except ValidationFailed as exc:
            if exc.extra.get("field") != "cursor":
                raise
        return (*await at(None), True)

    return fetch
