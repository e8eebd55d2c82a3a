"""The ticket list's query string read without its pydantic model, for the plain cases.

``TicketListQuery`` (app.api.routers.tickets) stays the published contract and the judge of
anything unusual: ``plain_list_query`` answers only where the reading is unambiguous — known
enum values, strings within their lengths, ``true``/``false``, a plain limit — and returns None
for anything else (a date, a bad value, ``limit=050``), and the request is then read by FastAPI
and the model as before. What it returns is what the model would have given
(``tests/unit/test_ticket_list_query.py`` compares the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams

from app.models.common import Kind, Priority, Source, Status
from app.tickets.queries import SORTS, TicketFilters

# The values the model's fields accept as they are (the sort's pattern, the enums' values).
LIST_SORTS = frozenset(("-created_at", "created_at", "resolution_due_at"))
_STATUSES = frozenset(s.value for s in Status)
_ENUMS = {
    "source": frozenset(s.value for s in Source),
    "kind": frozenset(k.value for k in Kind),
    "priority": frozenset(p.value for p in Priority),
}
_STRINGS = {"department": 64, "category": 64, "district": 64, "q": 200, "cursor": 500}
_BOOLS = {"true": True, "false": False}
_MAX_LIMIT = 200


@dataclass(frozen=True)
class ListQuery:
    filters: TicketFilters
    sort: str
    limit: int
    cursor: str | None


def _limit(value: str) -> int | None:
    if value.isascii() and value.isdigit() and value[0] != "0" and len(value) <= 3:
        number = int(value)
        return number if number <= _MAX_LIMIT else None
    return None


def plain_list_query(params: QueryParams) -> ListQuery | None:
    """The list's filters, order and page when every parameter is a plain one, else None.
    Like FastAPI: ``status`` is every value given, any other name its last; unknown names
    are ignored."""
    values: dict[str, Any] = {}
    for name in params:
        if name == "status":
            statuses = params.getlist(name)
            if not all(s in _STATUSES for s in statuses):
                return None
            values[name] = statuses
            continue
        value = params[name]
        if name in _STRINGS:
            if len(value) > _STRINGS[name]:
                return None
            values[name] = value
        elif name in _ENUMS:
            if value not in _ENUMS[name]:
                return None
            values[name] = value
        elif name in ("overdue", "at_risk"):
            if value not in _BOOLS:
                return None
            values[name] = _BOOLS[value]
        elif name == "sort":
            if value not in LIST_SORTS:
                return None
            values[name] = value
        elif name == "limit":
            limit = _limit(value)
            if limit is None:
                return None
            values[name] = limit
        elif name in ("created_from", "created_to"):
            return None  # a date-time: the model's reading (ISO 8601 only)
    q = values.get("q")
    filters = TicketFilters(
        status=values.get("status", []),
        department=values.get("department"),
        category=values.get("category"),
        source=values.get("source"),
        kind=values.get("kind"),
        priority=values.get("priority"),
        district=values.get("district"),
        overdue=values.get("overdue"),
        at_risk=values.get("at_risk"),
        q=q.strip() if q and q.strip() else None,
    )
    return ListQuery(
        filters, values.get("sort", SORTS[0]), values.get("limit", 50), values.get("cursor")
    )
