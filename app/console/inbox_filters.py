"""The inbox's filter form read into a ticket query: statuses (open ones, one, or all), the
search box (number, words, answers' words: ``app.tickets.words``) and the order."""

from __future__ import annotations

from datetime import datetime

from app.config import Settings
from app.models.common import OPEN_STATUSES, Source, Status
from app.tickets import nearest
from app.tickets.filters import TicketFilters
from app.tickets.words import ticket_numbers

OPEN = sorted(s.value for s in OPEN_STATUSES)
ALL_STATUSES = "all"
# The inbox's orders: the first is the default.
SORTS = {
    "nearest": (nearest.SORT, "ближайший срок"),
    "resolution": ("resolution_due_at", "срок решения"),
    "new": ("-created_at", "сначала новые"),
}


def valid_status(status: str) -> str:
    """The status choice as the form shows it: a status, «all», or "" (the open ones)."""
    return status if status == ALL_STATUSES or status in {s.value for s in Status} else ""


def valid_sort(sort: str) -> str:
    return sort if sort in SORTS else next(iter(SORTS))


def inbox_filters(
    *,
    status: str,
    category: str,
    source: str,
    overdue: str,
    q: str,
    settings: Settings,
    now: datetime,
) -> TicketFilters:
    """The ticket filters of the inbox's form (values already checked by ``valid_*``)."""
    words = q.strip()
    local_year = now.astimezone(settings.tz).year
    if status == ALL_STATUSES:
        statuses: list[str] = []
    else:
        statuses = [status] if status else OPEN
    return TicketFilters(
        status=statuses,
        category=category or None,
        source=source if source in {s.value for s in Source} else None,
        # Any running deadline passed (first answer, registration, resolution), as the rows'
        # red marks and the overview's «Сейчас просрочено» count; the API's is resolution-only.
        overdue_any=overdue == "1",
        words=words or None,
        numbers=ticket_numbers(words, prefix=settings.ticket_number_prefix, year=local_year),
    )
