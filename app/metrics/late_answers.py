"""A late final answer keeps its verdict when the ticket is reopened.

The SLA sweeper marks a final answer given after its resolution deadline as breached
(``sla_marks``: once per ticket and target) on its next pass. A reopen (a bad rating, staff)
moves the resolution deadline forward; if it comes before that pass, the sweeper then judges
the new deadline and the late answer would be forgotten — the reports would count the ticket
pending, or on time once answered again. So the reopen itself records the verdict the sweeper
would have recorded, in the same transaction and the same form: the ``sla_marks`` row against
the deadline in force when the answer was given, the ``sla_breached`` timeline event, and
``appeals_sla_breaches_total{target="resolution"}`` (only when the row is new: a ticket the
sweeper already marked is not counted twice). Called by the ticket hook in ``before_flush``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, String, bindparam, text
from sqlalchemy.orm import Session, attributes

from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.tickets import Ticket

_DONE = frozenset({"answered", "closed"})
_OPEN = frozenset({"new", "routed", "in_progress", "on_hold"})
_MARK = text(
    """
WITH mark AS (
    INSERT INTO sla_marks (ticket_id, target, level, due_at, department_code, marked_at)
    VALUES (:id, 'resolution', 'breached', :due, :department, :at)
    ON CONFLICT DO NOTHING
    RETURNING ticket_id, due_at
), event AS (
    INSERT INTO ticket_events (ticket_id, at, actor, type, data)
    SELECT ticket_id, :at, 'system:sla', 'sla_breached',
           jsonb_build_object('target', 'resolution', 'due_at', due_at)
    FROM mark
    RETURNING ticket_id
)
SELECT count(*) FROM event
"""
).bindparams(
    bindparam("id", type_=BigInteger()),
    bindparam("due", type_=DateTime(timezone=True)),
    bindparam("department", type_=String()),
    bindparam("at", type_=DateTime(timezone=True)),
)


def _before(obj: Ticket, name: str) -> Any:
    history = attributes.get_history(obj, name)
    return history.deleted[0] if history.deleted else getattr(obj, name)


def late_answer_updates(session: Session, dirty: Iterable[Any]) -> list[metrics_store.Update]:
    """Mark the reopened tickets whose final answer was late; the breach counts that makes."""
    updates: list[metrics_store.Update] = []
    for obj in dirty:
        if not isinstance(obj, Ticket) or obj.id is None:
            continue
        if _before(obj, "status") not in _DONE or obj.status not in _OPEN:
            continue
        answered, due = _before(obj, "answered_at"), _before(obj, "resolution_due_at")
        if answered is None or due is None or answered <= due:
            continue
        department = str(_before(obj, "department_code"))
        at: datetime = obj.updated_at or answered
        made = session.execute(
            _MARK, {"id": obj.id, "due": due, "department": department, "at": at}
        ).scalar_one()
        if made:
            labels = {"department": department, "target": "resolution"}
            updates.append((catalog.SLA_BREACHES.name, labels, 1.0))
    return updates
