"""Appending to the ticket timeline.

One event is one ORM object, except inside an intake batch (``buffer_events``): there the
events of hundreds of new tickets are plain rows written by one multi-row ``INSERT`` just
before the batch commits (``write_buffered_events``), in the order they were recorded. Nothing
in a batch reads a timeline it wrote (the tickets' ids are what the events need).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.tickets import Ticket, TicketEvent

_BUFFER = "ticket_event_rows"

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


def buffer_events(session: AsyncSession) -> None:
    """From now on, this session's events are rows written by ``write_buffered_events``."""
    session.info[_BUFFER] = []


def buffered(info: MutableMapping[Any, Any], row: dict[str, Any]) -> bool:
    """Keep ``row`` for the batch's one ``INSERT`` when the session buffers events."""
    rows: list[dict[str, Any]] | None = info.get(_BUFFER)
    if rows is None:
        return False
    rows.append({"at": datetime.now(UTC), **row})
    return True


async def write_buffered_events(session: AsyncSession) -> None:
    rows = session.info.get(_BUFFER)
    if rows:
        await session.execute(insert(TicketEvent), rows)
        rows.clear()


def record_event(
    session: AsyncSession, ticket: Ticket, *, actor: str, type: str, **data: Any
) -> TicketEvent | None:
    """Append one event (who, what, before/after, why) to the ticket's timeline; the event
    object, or None when the session buffers its events (an intake batch)."""
    assert ticket.id is not None
    row: dict[str, Any] = {
        "ticket_id": ticket.id,
        "actor": actor,
        "type": type,
        "data": _plain(data),
    }
    if buffered(session.info, row):
        return None
    event = TicketEvent(**row)
    session.add(event)
    return event
