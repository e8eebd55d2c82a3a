"""Listing tickets: filters, full-text search, keyset pagination."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import ValidationFailed
from app.models.common import OPEN_STATUSES
from app.models.tickets import Applicant, Ticket
from app.services.auth import Principal
from app.services.pagination import decode_cursor, encode_cursor

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
    if principal.sees_all_departments:
        return literal(True)
    return col(Ticket.department_code) == principal.department_code


def _conditions(f: TicketFilters, now: datetime) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.status:
        conds.append(col(Ticket.status).in_(f.status))
    for value, column in (
        (f.department, Ticket.department_code),
        (f.category, Ticket.category_code),
        (f.source, Ticket.source),
        (f.kind, Ticket.kind),
        (f.priority, Ticket.priority),
        (f.district, Ticket.district_code),
    ):
        if value is not None:
            conds.append(col(column) == value)
    if f.created_from is not None:
        conds.append(col(Ticket.created_at) >= f.created_from)
    if f.created_to is not None:
        conds.append(col(Ticket.created_at) < f.created_to)
    overdue = and_(col(Ticket.status).in_(OPEN), col(Ticket.resolution_due_at) < now)
    if f.overdue is True:
        conds.append(overdue)
    elif f.overdue is False:
        conds.append(~overdue)
    # At risk: an open ticket that has used 75 % of its resolution window but is not overdue.
    # The SLA engine stores that moment (working-time aware); older rows fall back to wall time.
    risk_point = func.coalesce(
        col(Ticket.resolution_risk_at),
        col(Ticket.created_at) + (col(Ticket.resolution_due_at) - col(Ticket.created_at)) * 0.75,
    )
    at_risk = and_(
        col(Ticket.status).in_(OPEN), col(Ticket.resolution_due_at) >= now, risk_point <= now
    )
    if f.at_risk is True:
        conds.append(at_risk)
    elif f.at_risk is False:
        conds.append(~at_risk)
    if f.q:
        conds.append(col(Ticket.search).op("@@")(func.websearch_to_tsquery("russian", f.q)))
    return conds


SORTS = ("-created_at", "created_at", "resolution_due_at")
_INFINITY = datetime.max.replace(year=9999).isoformat() + "+00:00"


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
    """One page of visible tickets and the cursor of the next page."""
    if sort not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}", field="sort")
    due_key = func.coalesce(
        col(Ticket.resolution_due_at), literal(datetime.fromisoformat(_INFINITY))
    )
    key_col: Any = due_key if sort == "resolution_due_at" else col(Ticket.created_at)
    desc = sort.startswith("-")
    stmt = (
        select(Ticket, Applicant)
        .outerjoin(Applicant, col(Applicant.id) == col(Ticket.applicant_id))
        .where(visible_to(principal), *_conditions(filters, now))
    )
    if cursor:
        raw_key, raw_id = decode_cursor(cursor, size=2)
        try:
            key_value = datetime.fromisoformat(raw_key)
            id_value = int(raw_id)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed("the cursor is not one this API issued", field="cursor") from exc
        pair = tuple_(key_col, col(Ticket.id))
        stmt = stmt.where(pair < (key_value, id_value) if desc else pair > (key_value, id_value))
    order = [key_col.desc(), col(Ticket.id).desc()] if desc else [key_col, col(Ticket.id)]
    rows = list((await session.exec(stmt.order_by(*order).limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        key = last.resolution_due_at if sort == "resolution_due_at" else last.created_at
        next_cursor = encode_cursor([(key.isoformat() if key else _INFINITY), last.id])
    return [(t, a) for t, a in rows], next_cursor


async def count_tickets(
    session: AsyncSession, *, principal: Principal, filters: TicketFilters, now: datetime
) -> int:
    """How many visible tickets match ``filters`` (progress bars of exports)."""
    stmt = (
        select(func.count())
        .select_from(Ticket)
        .where(visible_to(principal), *_conditions(filters, now))
    )
    return int((await session.exec(stmt)).one())
