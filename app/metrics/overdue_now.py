"""«Overdue now», defined once: an open ticket with a running target past its deadline.

A target is overdue while the thing it waits for has not happened and its deadline has passed:

- ``first_response``: no first answer yet, on a running ticket (new, routed, in_progress — on
  hold its clock stands still), past ``first_response_due_at``;
- ``registration``: a 59-ФЗ appeal not registered yet, on any open ticket (a legal term does
  not pause), past ``registration_due_at``;
- ``resolution``: a running ticket past ``resolution_due_at``.

A ticket is overdue now when any of its targets is; it is counted once however many are.
``appeals_tickets_overdue{target}`` (``app.metrics.snapshots``, ``app.metrics.overdue`` with the
SLA sweeper), the SLA report's ``overdue_now`` per department, the head's overview and the weekly
digest all count by these conditions. ``GET /api/v1/tickets?overdue=true`` is narrower: the
resolution deadline only (the partial index of open tickets by deadline serves it).

It lives with the metrics because the metrics domain imports no other (the import contracts);
every report imports it from here. The conditions are SQL over a ``tickets`` row aliased ``t``,
at the bound instant named by ``at`` (``:now`` unless told).
"""

from __future__ import annotations

TARGETS = ("first_response", "registration", "resolution")
RUNNING = "('new', 'routed', 'in_progress')"
OPEN = "('new', 'routed', 'in_progress', 'on_hold')"


def conditions(at: str = ":now") -> dict[str, str]:
    """Each target's SQL condition «overdue at ``at``», in the order of ``TARGETS``."""
    return {
        "first_response": (
            f"(t.status IN {RUNNING} AND t.first_responded_at IS NULL "
            f"AND t.first_response_due_at < {at})"
        ),
        "registration": (
            f"(t.status IN {OPEN} AND t.registered_at IS NULL AND t.registration_due_at < {at})"
        ),
        "resolution": f"(t.status IN {RUNNING} AND t.resolution_due_at < {at})",
    }


def any_target(at: str = ":now") -> str:
    """The ticket is overdue on at least one target (counted once)."""
    return "(" + " OR ".join(conditions(at).values()) + ")"


def counts_sql(at: str = ":now") -> str:
    """``count(*) FILTER`` columns ``overdue_first_response``, ``overdue_registration``,
    ``overdue_resolution`` and ``overdue`` (distinct tickets) over rows aliased ``t``."""
    parts = [
        f"count(*) FILTER (WHERE {sql}) AS overdue_{name}" for name, sql in conditions(at).items()
    ]
    parts.append(f"count(*) FILTER (WHERE {any_target(at)}) AS overdue")
    return ", ".join(parts)
