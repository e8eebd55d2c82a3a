"""Changing a ticket's status: the checked move, its side effects and its timeline event.

Every path that moves a status (staff actions, answers, ratings, merges, source decisions)
goes through :func:`change_status`, so the rule and the ``status_changed`` event are
written once. :func:`touch` bumps the version that ``ETag``/``If-Match`` compare.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.common import Status
from app.models.tickets import Ticket
from app.sla import deadlines as sla
from app.tickets.events import record_event
from app.tickets.lifecycle import check_transition


def touch(ticket: Ticket, now: datetime) -> None:
    """A change the client must re-read: the version (and so the ETag) moves on."""
    ticket.version += 1
    # Never backwards: the intake pipeline applies a snapshot at its receipt time, which may be
    # earlier than a change staff made while it waited.
    ticket.updated_at = max(ticket.updated_at, now) if ticket.updated_at else now


def apply_status(
    ticket: Ticket,
    target: Status,
    *,
    now: datetime,
    reason: str | None = None,
    redirect_to: str | None = None,
) -> str:
    """Set a checked status and its side effects (timestamps, SLA clock); returns the old one.

    No timeline event: callers that record their own kind of event (routing) use this;
    everyone else uses :func:`change_status`.
    """
    before = ticket.status
    check_transition(Status(before), target)
    ticket.status = target.value
    if target == Status.answered:
        ticket.answered_at = now
        ticket.first_responded_at = ticket.first_responded_at or now
    elif target == Status.closed:
        ticket.closed_at = now
    elif target == Status.in_progress and before in (Status.answered, Status.closed):
        ticket.closed_at = None
    if target in (Status.rejected, Status.on_hold) or reason:
        ticket.status_reason = reason
    ticket.redirect_to = redirect_to if target == Status.rejected else None
    if before == Status.merged:
        ticket.duplicate_of_id = None
    sla.on_transition(ticket, before=before, after=target.value, now=now)
    touch(ticket, now)
    return before


def change_status(
    session: AsyncSession,
    ticket: Ticket,
    target: Status,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
    redirect_to: str | None = None,
    record_redirect: bool = False,
    event_reason: str | None = None,
    **details: Any,
) -> str:
    """Move ``ticket`` to ``target`` and write its ``status_changed`` event; returns the old status.

    ``event_reason`` is what the timeline shows when it differs from the stored reason;
    ``record_redirect`` puts ``redirect_to`` on the event (moves that can carry one);
    ``details`` are further facts of the move (``duplicate_of``, ``department_before``, …).
    """
    before = apply_status(ticket, target, now=now, reason=reason, redirect_to=redirect_to)
    data: dict[str, Any] = {"reason": event_reason if event_reason is not None else reason}
    if record_redirect:
        data["redirect_to"] = redirect_to
    record_event(
        session,
        ticket,
        actor=actor,
        type="status_changed",
        before=before,
        after=target.value,
        **data,
        **details,
    )
    return before
