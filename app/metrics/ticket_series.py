"""Durable ticket series kept by an ORM hook, so every code path that changes a ticket counts.

``appeals_tickets_open{status,department}`` is a signed counter in ``metric_counters``: a ticket
entering an open status adds 1 to its (status, department) series, leaving it subtracts 1, in
the same transaction as the change. The scrape reads the sums, so its cost depends on the number
of label sets, never on the number of tickets. First-response and resolution durations are
observed, by kind, the moment ``first_responded_at`` / ``answered_at`` are first set; at that
moment (and when ``registered_at`` is first set) a target done by its deadline counts once in
``appeals_sla_met_total`` — the sweeper counts the misses (``appeals_sla_breaches_total``).
A final answer to a ticket already rated counts it in ``appeals_answers_rated_total``
(``app.metrics.rated_answers``). A reopen of a ticket whose final answer was late records that
breach before the deadline moves (``app.metrics.late_answers``).

Changes made through the ORM are seen (creation, ``apply_status``, re-routing, deletion); a bulk
SQL ``UPDATE tickets SET status = …`` is not, and must not be used for status or department.
Nothing happens at import: ``install_ticket_hook()`` (through ``install_metric_hooks()``) is
called by every process start-up that writes tickets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction, attributes

from app.metrics import catalog, late_answers, overdue, rated_answers
from app.metrics import store as metrics_store
from app.models.common import OPEN_STATUSES, Status
from app.models.tickets import Ticket

Update = metrics_store.Update
OPEN = catalog.TICKETS_OPEN.name

# The old value of these is loaded when they are set on a ticket whose attribute was not
# loaded, so the hook always knows what a ticket left.
_WATCHED = (
    Ticket.status,
    Ticket.department_code,
    Ticket.first_responded_at,
    Ticket.answered_at,
    Ticket.registered_at,
)
# (the moment a target is done, its deadline, the target, the duration histogram or None)
_TARGETS = (
    ("first_responded_at", "first_response_due_at", "first_response", catalog.FIRST_RESPONSE),
    ("answered_at", "resolution_due_at", "resolution", catalog.RESOLUTION),
    ("registered_at", "registration_due_at", "registration", None),
)
# Not work that had a deadline (the SLA report leaves them out): nothing is met.
_NOT_JUDGED = frozenset({Status.rejected.value, Status.merged.value})


def _keep_history(*args: Any) -> None:
    """A no-op ``set`` listener: registered with ``active_history`` for its side effect."""


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
            updates.append((OPEN, {"status": old[0], "department": old[1]}, -1.0))
        if new is not None:
            updates.append((OPEN, {"status": new[0], "department": new[1]}, 1.0))
    if is_deleted:
        return updates
    department = str(obj.department_code)
    for column, due_column, target, family in _TARGETS:
        done = getattr(obj, column)
        if done is None or before(column) is not None:
            continue
        seconds = _duration(obj, done)
        if family is not None and seconds is not None:
            labels = {"kind": str(obj.kind)}
            updates.extend(metrics_store.histogram_updates(family, labels, seconds))
        due = getattr(obj, due_column)
        if due is not None and done <= due and str(obj.status) not in _NOT_JUDGED:
            met = {"department": department, "target": target}
            updates.append((catalog.SLA_MET.name, met, 1.0))
    return updates


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
    updates.extend(overdue.overdue_updates(session, session.new, session.dirty, session.deleted))
    updates.extend(rated_answers.answer_updates(session, session.dirty))
    updates.extend(late_answers.late_answer_updates(session, session.dirty))
    if updates:
        metrics_store.buffer_updates(session, updates)


def install_ticket_hook() -> None:
    """Count every flushed change of a ticket (idempotent)."""
    for column in _WATCHED:
        if not event.contains(column, "set", _keep_history):
            event.listen(column, "set", _keep_history, active_history=True)
    if not event.contains(Session, "before_flush", _count_ticket_changes):
        event.listen(Session, "before_flush", _count_ticket_changes)
