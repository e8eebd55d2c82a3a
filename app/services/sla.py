"""Deadlines for a ticket. Minimal rules until the SLA policy engine lands (issue 5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.models.tickets import Ticket


def apply_initial_deadlines(ticket: Ticket, *, now: datetime) -> None:
    """Set the deadlines a new ticket starts with."""
    start = ticket.created_at or now
    answer_at = ticket.extra.get("answerAt") if ticket.extra else None
    if answer_at:
        ticket.resolution_due_at = datetime.fromisoformat(answer_at)
    elif ticket.kind == "fz59_appeal":
        ticket.resolution_due_at = start + timedelta(days=30)


def on_transition(ticket: Ticket, *, before: str, after: str, now: datetime) -> None:
    """Keep the clock right across a status change: ``on_hold`` pauses it."""
    if after == "on_hold" and before != "on_hold":
        ticket.on_hold_since = now
    elif before == "on_hold" and after != "on_hold" and ticket.on_hold_since is not None:
        paused = now - ticket.on_hold_since
        ticket.paused_seconds += int(paused.total_seconds())
        ticket.on_hold_since = None
        for name in ("first_response_due_at", "resolution_due_at"):
            due = getattr(ticket, name)
            if due is not None:
                setattr(ticket, name, due + paused)
