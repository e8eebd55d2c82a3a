"""For the business scrape: ``appeals_incidents_open{status}`` (open incidents by status) and
``appeals_incident_oldest_suspected_age_seconds`` (how long the oldest suspected incident has
waited for an operator since detection opened it; 0 when none waits). The alert
``AppealsIncidentNotConfirmed`` fires when that passes 30 minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import catalog
from app.metrics.collector import Row
from app.models.incidents import OPEN_INCIDENT_STATUSES

# A few rows at most: the partial index of open incidents answers it.
_OPEN = text(
    "SELECT status, count(*) FROM incidents "
    "WHERE status IN ('suspected','confirmed','resolving') GROUP BY status"
)
_OLDEST_SUSPECTED = text("SELECT min(created_at) FROM incidents WHERE status = 'suspected'")


async def open_rows(session: AsyncSession, *, now: datetime) -> list[Row]:
    """Every open status, 0 when none, and the oldest suspected incident's age at ``now``;
    nothing while the table is not migrated."""
    migrated = await session.exec(text("SELECT to_regclass('incidents') IS NOT NULL"))  # type: ignore[call-overload]
    if not migrated.one()[0]:
        return []
    counts = dict((await session.exec(_OPEN)).all())  # type: ignore[call-overload]
    oldest = (await session.exec(_OLDEST_SUSPECTED)).one()[0]  # type: ignore[call-overload]
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return [
        *(
            (catalog.INCIDENTS_OPEN.name, {"status": s.value}, float(counts.get(s.value, 0)))
            for s in OPEN_INCIDENT_STATUSES
        ),
        (catalog.INCIDENT_OLDEST_SUSPECTED.name, {}, age),
    ]
