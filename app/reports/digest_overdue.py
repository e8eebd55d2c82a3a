"""«Просрочено на конец недели»: the tickets overdue at the end of a past week, as they stood then.

The current columns say what a ticket is *now*; a late ticket answered next week, or reopened
with a new deadline, would leave a past week's figure. So the state at the week's end ``E``
(``LEAST(end, now)``: this week is judged now) is rebuilt from what is recorded with the
application's clock, and later events do not change it:

- *deadlines then in force*: the last ``deadlines`` event (created, interim answer, resumed,
  reopened, extension — ``app.sla.deadlines.record_deadlines``) effective before ``E``, when a
  later one moved them; otherwise the ticket's columns (nothing has moved them since);
- *answered by then*: a final answer before ``E`` (``answered_at``, or a final
  ``ticket_answers`` row) not followed, before ``E``, by a reopen (a ``deadlines`` event
  «reopened»);
- *on hold then*: held now since before ``E``, or a hold ended after ``E`` that began before it
  (the «resumed» event's ``held_from``);
- *first answer* and *59-ФЗ registration* made by then: ``first_responded_at`` /
  ``registered_at`` before ``E``;
- rejected and merged tickets are out (a rejection after ``E``: the ticket was open then).

Then the one rule of «overdue now» (``app.metrics.overdue_now``) is applied at ``E``: any
running target past its deadline, each ticket once. For this week it is the overview's figure.
"""

from __future__ import annotations

from app.metrics import overdue_now

_SCOPE = "t.status <> 'merged' AND (CAST(:dept AS varchar) IS NULL OR t.department_code = :dept)"
_EFFECTIVE = "CAST(e.data ->> 'effective_at' AS timestamptz)"
_DEADLINES = "e.ticket_id = c.id AND e.type = 'deadlines'"
_AT = "LEAST(:end, :now)"


def _due(name: str) -> str:
    return (
        f"CASE WHEN dl_moved AND dl_then IS NOT NULL "
        f"THEN CAST(dl_then ->> '{name}' AS timestamptz) ELSE {name} END AS {name}"
    )


OVERDUE_AT_END = f"""
WITH c AS (
    SELECT t.id, t.department_code, t.status, t.first_responded_at, t.registered_at,
           t.answered_at, t.on_hold_since, t.first_response_due_at, t.registration_due_at,
           t.resolution_due_at
    FROM tickets t
    WHERE {_SCOPE} AND t.created_at < {_AT}
      AND NOT (t.status = 'rejected' AND t.updated_at < {_AT})
      AND (t.status IN {overdue_now.OPEN} OR t.answered_at >= :start OR t.updated_at >= :start)
), ev AS (
    SELECT c.*,
        (SELECT e.data FROM ticket_events e WHERE {_DEADLINES} AND {_EFFECTIVE} < {_AT}
         ORDER BY {_EFFECTIVE} DESC, e.id DESC LIMIT 1) AS dl_then,
        EXISTS (SELECT 1 FROM ticket_events e WHERE {_DEADLINES} AND {_EFFECTIVE} >= {_AT})
            AS dl_moved,
        (SELECT max({_EFFECTIVE}) FROM ticket_events e WHERE {_DEADLINES}
         AND e.data ->> 'reason' = 'reopened' AND {_EFFECTIVE} < {_AT}) AS reopened_at,
        (c.status = 'on_hold' AND c.on_hold_since < {_AT}) OR EXISTS (
            SELECT 1 FROM ticket_events e WHERE {_DEADLINES} AND e.data ->> 'reason' = 'resumed'
            AND CAST(e.data ->> 'held_from' AS timestamptz) < {_AT} AND {_EFFECTIVE} >= {_AT}
        ) AS held,
        GREATEST(
            CASE WHEN c.answered_at < {_AT} THEN c.answered_at END,
            (SELECT max(a.created_at) FROM ticket_answers a WHERE a.ticket_id = c.id
             AND a.kind = 'final' AND a.created_at < {_AT})
        ) AS answered_then
    FROM c
), t AS (
    SELECT department_code,
        CASE WHEN answered_then IS NOT NULL
                  AND (reopened_at IS NULL OR reopened_at < answered_then) THEN 'answered'
             WHEN held THEN 'on_hold' ELSE 'in_progress' END AS status,
        CASE WHEN first_responded_at < {_AT} THEN first_responded_at END AS first_responded_at,
        CASE WHEN registered_at < {_AT} THEN registered_at END AS registered_at,
        {_due("first_response_due_at")},
        {_due("registration_due_at")},
        {_due("resolution_due_at")}
    FROM ev
)
SELECT t.department_code, d.name, {overdue_now.counts_sql(_AT)}
FROM t JOIN departments d ON d.code = t.department_code GROUP BY t.department_code, d.name
"""
