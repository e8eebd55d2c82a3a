"""The SLA sweeper: mark at-risk and breached tickets once per target, notify, count.

Set-based and index-driven: each pass takes the tickets whose ``sla_next_check_at`` has come
(a range of a partial index, ``FOR UPDATE SKIP LOCKED`` so any number of workers share the
work), inserts the crossed thresholds into ``sla_marks`` (``ON CONFLICT DO NOTHING``: once per
ticket, target and level however often or concurrently it runs), appends the timeline events,
and moves ``sla_next_check_at`` to the next threshold — or to NULL when the clock is stopped.
A running ticket it finds past its resolution deadline is marked and added to the overdue
gauge (``app.metrics.overdue``), in the same statement.
Targets: ``app.metrics.catalog.SLA_TARGETS``; 59-ФЗ registration is marked breached only (no
at-risk level) when the appeal was registered after its due date, or is still unregistered
past it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import Database
from app.metrics import catalog, overdue
from app.metrics import store as metrics_store
from app.outbox.service import enqueue

BATCH = 2000
METRIC = {"at_risk": catalog.SLA_AT_RISK, "breached": catalog.SLA_BREACHES}

_RUNNING = "('new', 'routed', 'in_progress')"
_OPEN = "('new', 'routed', 'in_progress', 'on_hold')"
_SWEEP = text(
    f"""
WITH picked AS (
    SELECT t.id, t.number, t.source, t.department_code, t.status, t.first_responded_at,
           t.resolution_overdue,
           t.first_response_risk_at, t.first_response_due_at,
           t.resolution_risk_at, t.resolution_due_at, t.registration_due_at, t.registered_at,
           CASE WHEN t.status IN {_RUNNING} THEN :now
                WHEN t.status = 'on_hold' THEN t.on_hold_since END AS running_at,
           CASE WHEN t.status IN ('answered', 'closed') THEN t.answered_at END AS stopped_at,
           -- 59-ФЗ registration is a legal term: it does not pause
           CASE WHEN t.status IN {_OPEN} THEN :now END AS open_at
    FROM tickets t
    WHERE t.sla_next_check_at IS NOT NULL AND t.sla_next_check_at <= :now
    ORDER BY t.sla_next_check_at
    LIMIT :batch
    FOR UPDATE OF t SKIP LOCKED
),
crossed AS (
    SELECT p.id, p.department_code, v.target, v.level, v.due
    FROM picked p
    CROSS JOIN LATERAL (VALUES
        ('registration', 'breached', p.registration_due_at, p.registration_due_at,
         COALESCE(p.registered_at, p.open_at, p.stopped_at)),
        ('first_response', 'at_risk', p.first_response_risk_at, p.first_response_due_at,
         COALESCE(p.first_responded_at, p.running_at)),
        ('first_response', 'breached', p.first_response_due_at, p.first_response_due_at,
         COALESCE(p.first_responded_at, p.running_at)),
        ('resolution', 'at_risk', p.resolution_risk_at, p.resolution_due_at,
         COALESCE(p.running_at, p.stopped_at)),
        ('resolution', 'breached', p.resolution_due_at, p.resolution_due_at,
         COALESCE(p.running_at, p.stopped_at))
    ) AS v(target, level, point, due, clock)
    WHERE v.point IS NOT NULL AND v.clock IS NOT NULL AND v.point < v.clock
),
marks AS (
    INSERT INTO sla_marks (ticket_id, target, level, due_at, department_code, marked_at)
    SELECT id, target, level, due, department_code, :now FROM crossed
    ON CONFLICT DO NOTHING
    RETURNING ticket_id, target, level, due_at, department_code
),
events AS (
    INSERT INTO ticket_events (ticket_id, at, actor, type, data)
    SELECT ticket_id, :now, 'system:sla', 'sla_' || level,
           jsonb_build_object('target', target, 'due_at', due_at)
    FROM marks
    RETURNING id
),
moved AS (
    UPDATE tickets t SET sla_next_check_at = CASE WHEN p.status IN {_RUNNING} THEN LEAST(
        CASE WHEN p.registered_at IS NULL AND p.registration_due_at > :now
             THEN p.registration_due_at END,
        CASE WHEN p.first_responded_at IS NULL AND p.first_response_risk_at > :now
             THEN p.first_response_risk_at END,
        CASE WHEN p.first_responded_at IS NULL AND p.first_response_due_at > :now
             THEN p.first_response_due_at END,
        CASE WHEN p.resolution_risk_at > :now THEN p.resolution_risk_at END,
        CASE WHEN p.resolution_due_at > :now THEN p.resolution_due_at END) END,
        -- counted in appeals_tickets_overdue{{target="resolution"}} (app.metrics.overdue)
        resolution_overdue = p.resolution_overdue
            OR (p.status IN {_RUNNING} AND p.resolution_due_at < :now)
    FROM picked p WHERE t.id = p.id
    RETURNING t.id, t.department_code, t.resolution_overdue AND NOT p.resolution_overdue AS became
)
SELECT (SELECT count(*) FROM moved) AS picked,
       COALESCE((
           SELECT json_object_agg(department_code, n)
           FROM (SELECT department_code, count(*) AS n FROM moved WHERE became
                 GROUP BY department_code) o
       ), '{{}}') AS overdue,
       COALESCE((
           SELECT json_agg(json_build_object(
               'ticket_id', m.ticket_id, 'target', m.target, 'level', m.level,
               'due_at', m.due_at, 'department', m.department_code,
               'number', p.number, 'webhook_url', d.webhook_url))
           FROM marks m
           JOIN picked p ON p.id = m.ticket_id
           LEFT JOIN departments d ON d.code = m.department_code
       ), '[]') AS marks
"""
).bindparams(bindparam("now", type_=DateTime(timezone=True)), bindparam("batch", type_=Integer()))


@dataclass
class SweepResult:
    picked: int = 0
    marks: Counter[str] = field(default_factory=Counter)  # "resolution:breached" → n


async def sweep_batch(
    session: AsyncSession, *, now: datetime, batch: int = BATCH
) -> tuple[int, list[dict[str, Any]]]:
    """One bounded pass in the caller's transaction: (tickets looked at, marks made)."""
    row = (
        await session.exec(_SWEEP, params={"now": now, "batch": batch})  # type: ignore[call-overload]
    ).one()
    marks = row.marks if isinstance(row.marks, list) else json.loads(row.marks)
    await metrics_store.increment_many(
        session,
        [
            (METRIC[m["level"]], {"department": m["department"], "target": m["target"]}, 1.0)
            for m in marks
        ],
    )
    became = row.overdue if isinstance(row.overdue, dict) else json.loads(row.overdue)
    metrics_store.buffer_updates(
        session.sync_session,
        [(overdue.NAME, overdue.labels(d), float(n)) for d, n in sorted(became.items())],
    )
    for m in marks:
        if not m["webhook_url"]:
            continue  # the department has no webhook: the mark and the timeline are enough
        await enqueue(
            session,
            target="department_webhook",
            kind="sla_notification",
            idempotency_id=f"sla-{m['ticket_id']}-{m['target']}-{m['level']}",
            payload={
                "department": m["department"],
                "ticket_id": m["ticket_id"],
                "ticket_number": m["number"],
                "target": m["target"],
                "level": m["level"],
                "due_at": m["due_at"],
            },
        )
    return int(row.picked), marks


async def sweep(db: Database, now: datetime, *, batch: int = BATCH) -> SweepResult:
    """Sweep until no ticket's next threshold has come; one transaction per batch."""
    result = SweepResult()
    while True:
        async with db.sessionmaker() as session:
            picked, marks = await sweep_batch(session, now=now, batch=batch)
            await session.commit()
        result.picked += picked
        result.marks.update(f"{m['target']}:{m['level']}" for m in marks)
        if picked < batch:
            return result
