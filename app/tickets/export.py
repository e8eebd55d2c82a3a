"""CSV export of tickets by filter, page by page (constant memory at any size)."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import IO, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.models.common import Role
from app.models.tickets import Applicant, Ticket
from app.tickets.presenters import applicant_public
from app.tickets.queries import TicketFilters, list_tickets

TICKET_COLUMNS = (
    "number",
    "source",
    "source_id",
    "kind",
    "channel",
    "status",
    "priority",
    "category_code",
    "source_category",
    "department_code",
    "district_code",
    "address",
    "created_at",
    "first_response_due_at",
    "resolution_due_at",
    "legal_due_at",
    "first_responded_at",
    "answered_at",
    "closed_at",
    "text",
)
APPLICANT_COLUMNS = ("applicant_name", "applicant_email", "applicant_phone")
EXPORTER = Principal(key_id=None, role=Role.admin, department_code=None, name="export")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


async def _pages(
    session: AsyncSession, filters: TicketFilters, *, sort: str, page_size: int, now: datetime
) -> AsyncIterator[list[tuple[Ticket, Applicant | None]]]:
    cursor: str | None = None
    while True:
        rows, cursor = await list_tickets(
            session,
            principal=EXPORTER,
            filters=filters,
            sort=sort,
            limit=page_size,
            cursor=cursor,
            now=now,
        )
        if rows:
            yield rows
        if cursor is None:
            return
        session.expunge_all()  # keep memory flat on long exports


async def write_csv(
    session: AsyncSession,
    out: IO[str],
    *,
    filters: TicketFilters,
    now: datetime,
    personal_data: bool = False,
    sort: str = "created_at",
    page_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write matching tickets as CSV (personal data only when asked); returns the row count."""
    writer = csv.writer(out)
    writer.writerow(TICKET_COLUMNS + (APPLICANT_COLUMNS if personal_data else ()))
    written = 0
    async for page in _pages(session, filters, sort=sort, page_size=page_size, now=now):
        for ticket, applicant in page:
            row = [_cell(getattr(ticket, name)) for name in TICKET_COLUMNS]
            if personal_data:
                shown = applicant_public(applicant, full=True)
                row += [
                    _cell(shown.full_name if shown else None),
                    _cell(shown.email if shown else None),
                    _cell(shown.phone if shown else None),
                ]
            writer.writerow(row)
        written += len(page)
        if progress is not None:
            progress(len(page))
    return written
