"""The nearest running deadline of a ticket: what the console's inbox sorts on by default.

A deadline runs until the thing it waits for happens: the first answer until the first answer,
the 59-ФЗ registration until the appeal is registered; the resolution and the legal date while
the ticket is open. The SQL expression and the Python function give the same instant (the
inbox's keyset cursor is built from the Python one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col

from app.models.tickets import Ticket

SORT = "nearest_due_at"


def nearest_due_sql() -> Any:
    """LEAST of the running deadlines (PostgreSQL's LEAST skips NULLs; all NULL: NULL)."""
    return func.least(
        case(
            (col(Ticket.first_responded_at).is_(None), col(Ticket.first_response_due_at)),
            else_=None,
        ),
        case(
            (col(Ticket.registered_at).is_(None), col(Ticket.registration_due_at)),
            else_=None,
        ),
        col(Ticket.resolution_due_at),
        col(Ticket.legal_due_at),
    )


def nearest_due(ticket: Ticket) -> datetime | None:
    """``nearest_due_sql`` for one loaded ticket."""
    points = [
        ticket.first_response_due_at if ticket.first_responded_at is None else None,
        ticket.registration_due_at if ticket.registered_at is None else None,
        ticket.resolution_due_at,
        ticket.legal_due_at,
    ]
    present = [p for p in points if p is not None]
    return min(present) if present else None
