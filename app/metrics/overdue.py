"""``appeals_tickets_overdue{target="resolution"}``: a durable gauge, never counted at scrape time.

A running ticket past its resolution deadline is counted once the SLA sweeper has seen it so:
the sweep's own statement sets ``tickets.resolution_overdue`` and adds 1 to its department
(``app.sla.sweeper``). It stops being counted in the transaction of the change that ends it —
an answer, closing, on hold, rejecting, merging, a new resolution deadline (an extension, an
interim answer) — where this hook clears the mark and subtracts 1; re-routing an overdue ticket
moves its 1 to the new department. A ticket cleared while still running past a deadline is
looked at again by the sweeper's next pass (its ``sla_next_check_at`` is brought back to the
deadline), so it is counted again then.

The mark is cleared by an ``UPDATE … RETURNING`` of the rows that were marked, which takes the
row lock and sees what the sweeper committed after this session loaded the ticket: the gauge
stays exact however stale the loaded row is. The sweeper skips locked rows. The scrape reads
the counter's sum; a ticket becomes counted at the first sweep after its deadline (seconds).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session, attributes

from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.tickets import Ticket

NAME = catalog.TICKETS_OVERDUE.name
RUNNING = frozenset({"new", "routed", "in_progress"})

_CLEAR = text(
    "UPDATE tickets SET resolution_overdue = false WHERE id IN :ids AND resolution_overdue "
    "RETURNING id, department_code"
).bindparams(bindparam("ids", expanding=True))
_INSERTED = "appeals_tickets_inserted"


def labels(department: str) -> dict[str, str]:
    return {"department": department, "target": "resolution"}


def _before(obj: Ticket, name: str) -> Any:
    history = attributes.get_history(obj, name)
    return history.deleted[0] if history.deleted else getattr(obj, name)


def _changed(obj: Ticket, name: str) -> bool:
    return attributes.get_history(obj, name).has_changes()


def _inserted(session: Session) -> dict[int, weakref.ref[Ticket]]:
    """Tickets inserted in this transaction, by ``id()``: no sweeper can have marked them."""
    transaction = session.get_transaction()
    memo = session.info.get(_INSERTED)
    if memo is None or memo[0] is not transaction:
        memo = (transaction, {})
        session.info[_INSERTED] = memo
    return memo[1]  # type: ignore[no-any-return]


def _was_inserted(inserted: dict[int, weakref.ref[Ticket]], obj: Ticket) -> bool:
    ref = inserted.get(id(obj))
    return ref is not None and ref() is obj


def _may_end(obj: Ticket, *, deleted: bool) -> bool:
    """Could this change end the ticket's being counted (it was running before it)?"""
    if _before(obj, "status") not in RUNNING:
        return False
    return (
        deleted
        or obj.status not in RUNNING
        or _changed(obj, "resolution_due_at")
        or _changed(obj, "department_code")
    )


def overdue_updates(
    session: Session, new: Iterable[Any], dirty: Iterable[Any], deleted: Iterable[Any]
) -> list[metrics_store.Update]:
    """Clear the mark of the flushed tickets whose change ends their being overdue; the gauge
    updates that makes (called by the ticket hook in ``before_flush``)."""
    inserted = _inserted(session)
    inserted.update((id(obj), weakref.ref(obj)) for obj in new if isinstance(obj, Ticket))
    ending: dict[int, tuple[Ticket, bool]] = {}
    for objs, is_deleted in ((dirty, False), (deleted, True)):
        for obj in objs:
            if (
                isinstance(obj, Ticket)
                and obj.id is not None
                and not _was_inserted(inserted, obj)
                and _may_end(obj, deleted=is_deleted)
            ):
                ending[obj.id] = (obj, is_deleted)
    if not ending:
        return []
    cleared = session.execute(_CLEAR, {"ids": sorted(ending)}).all()
    updates: list[metrics_store.Update] = []
    for ticket_id, department in cleared:
        obj, is_deleted = ending[ticket_id]
        updates.append((NAME, labels(department), -1.0))
        attributes.set_committed_value(obj, "resolution_overdue", False)
        if is_deleted or obj.status not in RUNNING:
            continue
        due = obj.resolution_due_at
        if not _changed(obj, "resolution_due_at"):
            # Still running past the same deadline, only in another department: it moves.
            obj.resolution_overdue = True
            updates.append((NAME, labels(obj.department_code), 1.0))
        elif due is not None and (obj.sla_next_check_at is None or obj.sla_next_check_at > due):
            obj.sla_next_check_at = due  # the sweeper judges the new deadline on its next pass
    return updates
