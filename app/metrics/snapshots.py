"""Overdue counts no index serves at scrape time, refreshed by the worker once a minute.

``appeals_tickets_overdue{target="first_response"}`` (running tickets with no first answer past
its deadline: IM's 4 and 9 working hours) and ``{target="registration"}`` (open 59-ФЗ appeals
not registered by their due date) need a pass over the open tickets, which no index turns into
an index-only count. The worker's ``metrics_fold`` loop makes that pass every minute and stores
the counts as gauge rows of ``metric_counters`` (shard 0, replaced, never added to), which every
scrape reads with the counters at no extra cost. ``target="resolution"`` is a durable gauge the
SLA sweeper and the ticket hook keep (``app.metrics.overdue``). So these two lag by up to a
minute, and stand still while no worker runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import catalog, overdue_now
from app.metrics.store import encode_labels

NAME = catalog.TICKETS_OVERDUE.name
TARGETS = ("first_response", "registration")

# The one rule of «overdue now» (app.metrics.overdue_now): a first response on a running ticket
# (on_hold stops its clock), a registration on any open one (a legal term does not pause).
_RULE = overdue_now.conditions()
_COUNT = text(
    f"""
SELECT t.department_code,
       count(*) FILTER (WHERE {_RULE["first_response"]}),
       count(*) FILTER (WHERE {_RULE["registration"]})
FROM tickets t
WHERE t.status IN {overdue_now.OPEN}
GROUP BY t.department_code
ORDER BY t.department_code
"""
).bindparams(bindparam("now", type_=DateTime(timezone=True)))
# target="resolution" is the sweeper's durable gauge (app.metrics.overdue): left alone.
_CLEAR = text(
    "UPDATE metric_counters SET value = 0 WHERE name = :name AND value <> 0 "
    'AND labels NOT LIKE \'%"target":"resolution"%\''
)
_SET = text(
    "INSERT INTO metric_counters (name, labels, shard, value) "
    "VALUES (:name, :labels, 0, :value) "
    "ON CONFLICT (name, labels, shard) DO UPDATE SET value = EXCLUDED.value"
)


async def refresh_overdue(session: AsyncSession, *, now: datetime) -> int:
    """Replace the stored first-response and registration overdue counts; returns the rows set.

    Counts that fell to 0 are written as 0 in the same transaction, so a scrape sees the whole
    old snapshot or the whole new one.
    """
    result = await session.exec(_COUNT, params={"now": now})  # type: ignore[call-overload]
    rows = [
        {
            "name": NAME,
            "labels": encode_labels({"department": department, "target": target}),
            "value": float(count),
        }
        for department, *counts in result.all()
        for target, count in zip(TARGETS, counts, strict=True)
        if count
    ]
    await session.exec(_CLEAR, params={"name": NAME})  # type: ignore[call-overload]
    if rows:
        await session.exec(_SET, params=rows)  # type: ignore[call-overload]
    return len(rows)
