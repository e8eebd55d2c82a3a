"""What a ticket list filters on: the filters, and their SQL conditions over named parameters.

Every value is a named bound parameter (``filter_params``), never a literal baked into the
statement, so one statement compiled per shape serves every caller (app.tickets.pages).
Constants are SQL literals. Used by the list pages (app.tickets.queries) and their counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    String,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
)
from sqlmodel import col

from app.access import visibility
from app.access.api_keys import Principal
from app.models.common import OPEN_STATUSES
from app.models.tickets import Ticket
from app.tickets import words as search_box
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
    # The console's «только просроченные»: any running target overdue (first answer, 59-ФЗ
    # registration, resolution: app.metrics.overdue_now), not the API's resolution-only one.
    overdue_any: bool = False
    at_risk: bool | None = None
    q: str | None = None
    # The console's search box (app.tickets.words): number, words, answers' words.
    words: str | None = None
    numbers: list[str] = field(default_factory=list)


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Rows a principal may see: admins all, everyone else their own department."""
    return visibility.seen_in_sql(principal, col(Ticket.department_code))


_TS = DateTime(timezone=True)
_EQUAL = (
    ("department", Ticket.department_code),
    ("category", Ticket.category_code),
    ("source", Ticket.source),
    ("kind", Ticket.kind),
    ("priority", Ticket.priority),
    ("district", Ticket.district_code),
)


def param(name: str, type_: Any = None) -> Any:
    return bindparam(name, type_=type_)


def is_open() -> ColumnElement[bool]:
    """The ticket is in an open status (constants in the SQL: partial indexes match them)."""
    return col(Ticket.status).in_([literal_column(f"'{s}'") for s in OPEN])


def overdue_any(at: Any) -> ColumnElement[bool]:
    """Overdue on any running target at ``at``: the conditions of app.metrics.overdue_now
    (a test holds the two to the same rows)."""
    running = col(Ticket.status).in_(
        [literal_column(f"'{s}'") for s in ("new", "routed", "in_progress")]
    )
    return or_(
        and_(
            running,
            col(Ticket.first_responded_at).is_(None),
            col(Ticket.first_response_due_at) < at,
        ),
        and_(is_open(), col(Ticket.registered_at).is_(None), col(Ticket.registration_due_at) < at),
        and_(running, col(Ticket.resolution_due_at) < at),
    )


def filter_params(f: TicketFilters, now: datetime) -> dict[str, Any]:
    """The bound values of ``conditions``: one per filter given."""
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
    if f.overdue_any:
        params["overdue_at"] = now
    if f.q:
        params["q"] = search_query(f.q)
    if f.words:
        params.update(search_box.params(f.words, f.numbers))
    return params


def conditions(f: TicketFilters, params: dict[str, Any]) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if "status" in params:
        conds.append(col(Ticket.status) == param("status", String()))
    if "statuses" in params:
        conds.append(col(Ticket.status) == any_(param("statuses", ARRAY(String()))))
    for name, column in _EQUAL:
        if name in params:
            conds.append(col(column) == param(name, String()))
    if "created_from" in params:
        conds.append(col(Ticket.created_at) >= param("created_from", _TS))
    if "created_to" in params:
        conds.append(col(Ticket.created_at) < param("created_to", _TS))
    now = param("now", _TS)
    if f.overdue is not None:
        overdue = and_(is_open(), col(Ticket.resolution_due_at) < now)
        conds.append(overdue if f.overdue else ~overdue)
    if "overdue_at" in params:
        conds.append(overdue_any(param("overdue_at", _TS)))
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
        conds.append(col(Ticket.search).op("@@")(search_words()))
    if "words" in params:
        conds.append(search_box.condition(params))
    if "scope_department" in params:
        # The same words within one department, through ix_tickets_scoped_words (migration
        # 0019): its entries are department|lemma, so a word absent from the department is
        # answered at once, and PostgreSQL's estimate is for the word in that department.
        # All the words must be there (a superset of the search, which is checked as well).
        scoped = func.appeals_scoped_query(
            param("scope_department", String()), param("q", String())
        )
        present = func.appeals_scoped_words(col(Ticket.department_code), col(Ticket.search))
        conds.append(present.op("@>")(scoped))
    return conds


def search_words() -> Any:
    """The search's words: lemmas on both sides (app.tickets.search_text), so «батареей» finds
    «холодные батареи»."""
    return func.websearch_to_tsquery(literal_column("'simple'"), param("q", String()))


_OR_NOT = re.compile(r"(?:^|\s)-|\bor\b", re.IGNORECASE)


def all_words_needed(q: str) -> bool:
    """Every word of the search must be in a match: no `or`, no `-word` (websearch syntax)."""
    return _OR_NOT.search(q) is None
