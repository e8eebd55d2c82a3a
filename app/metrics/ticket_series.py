"""Durable ticket series kept by an ORM hook, so every code path that changes a ticket counts.

``appeals_tickets_open{status,department}`` is a signed counter in ``metric_counters``: a ticket
entering an open status adds 1 to its (status, department) series, leaving it subtracts 1, in
the same transaction as the change. The scrape reads the sums, so its cost depends on the number
of label sets, never on the number of tickets. First-response and resolution durations are
observed the moment ``first_responded_at`` / ``answered_at`` are first set.

Changes made through the ORM are seen (creation, ``apply_status``, re-routing, deletion); a bulk
SQL ``UPDATE tickets SET status = …`` is not, and must not be used for status or department.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction, attributes

from app.metrics import store as metrics_store
from app.models.common import OPEN_STATUSES
from app.models.tickets import Ticket

OPEN_TICKETS = "appeals_tickets_open"
ROUTED = "appeals_tickets_routed_total"
FIRST_RESPONSE = "appeals_first_response_seconds"
RESOLUTION = "appeals_resolution_seconds"

Update = tuple[str, Mapping[str, str], float]

# Load the old value when these are set on a ticket whose attribute was not loaded, so the hook
# always knows what a ticket left.
for _column in (
    Ticket.status,
    Ticket.department_code,
    Ticket.first_responded_at,
    Ticket.answered_at,
):
    event.listen(_column, "set", lambda *a: None, active_history=True)


def routed_update(*, department: str, method: str) -> Update:
    """The counter update for one routing decision (``category``, ``triage``, ``explicit`` …)."""
    return (ROUTED, {"department": department, "method": method}, 1.0)


def _open_key(status: Any, department: Any) -> tuple[str, str] | None:
    if status is None or department is None or status not in OPEN_STATUSES:
        return None
    return (str(status), str(department))


def _duration(obj: Ticket, at: datetime | None) -> float | None:
    if at is None or obj.created_at is None:
        return None
    return max(0.0, (at - obj.created_at).total_seconds())


def ticket_updates(obj: Ticket, *, is_new: bool = False, is_deleted: bool = False) -> list[Update]:
    """What one flushed change of a ticket does to the durable series."""

    def before(name: str) -> Any:
        if is_new:
            return None
        history = attributes.get_history(obj, name)
        if history.deleted:
            return history.deleted[0]
        return getattr(obj, name)

    updates: list[Update] = []
    old = _open_key(before("status"), before("department_code"))
    new = None if is_deleted else _open_key(obj.status, obj.department_code)
    if old != new:
        if old is not None:
            updates.append((OPEN_TICKETS, {"status": old[0], "department": old[1]}, -1.0))
        if new is not None:
            updates.append((OPEN_TICKETS, {"status": new[0], "department": new[1]}, 1.0))
    if is_deleted:
        return updates
    labels = {"source": str(obj.source), "department": str(obj.department_code)}
    for column, metric in (("first_responded_at", FIRST_RESPONSE), ("answered_at", RESOLUTION)):
        if before(column) is None:
            seconds = _duration(obj, getattr(obj, column))
            if seconds is not None:
                updates.extend(metrics_store.histogram_updates(metric, labels, seconds))
    return updates


@event.listens_for(Session, "before_flush")
def _count_ticket_changes(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    updates: list[Update] = []
    for obj in session.new:
        if isinstance(obj, Ticket):
            updates.extend(ticket_updates(obj, is_new=True))
    for obj in session.dirty:
        if isinstance(obj, Ticket) and session.is_modified(obj):
            updates.extend(ticket_updates(obj))
    for obj in session.deleted:
        if isinstance(obj, Ticket):
            updates.extend(ticket_updates(obj, is_deleted=True))
    if updates:
        metrics_store.buffer_updates(session, updates)
