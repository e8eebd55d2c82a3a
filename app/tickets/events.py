"""Appending to the ticket timeline."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.tickets import Ticket, TicketEvent

# Event data keys that name another ticket (shown only to who sees it: app.access.visibility).
LINK_KEYS = frozenset(
    {"candidate", "duplicate", "duplicate_of", "duplicate_of_before", "repeat_of", "from_ticket"}
)


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def record_event(
    session: AsyncSession, ticket: Ticket, *, actor: str, type: str, **data: Any
) -> TicketEvent:
    """Append one event (who, what, before/after, why) to the ticket's timeline."""
    assert ticket.id is not None
    event = TicketEvent(ticket_id=ticket.id, actor=actor, type=type, data=_plain(data))
    session.add(event)
    return event
