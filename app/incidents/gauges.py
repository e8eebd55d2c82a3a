"""``appeals_incidents_open{status}`` for the business scrape: open incidents by status."""

from __future__ import annotations

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


async def open_rows(session: AsyncSession) -> list[Row]:
    """Every open status, 0 when none; nothing while the table is not migrated."""
    migrated = await session.exec(text("SELECT to_regclass('incidents') IS NOT NULL"))  # type: ignore[call-overload]
    if not migrated.one()[0]:
        return []
    counts = dict((await session.exec(_OPEN)).all())  # type: ignore[call-overload]
    return [
        (catalog.INCIDENTS_OPEN.name, {"status": s.value}, float(counts.get(s.value, 0)))
        for s in OPEN_INCIDENT_STATUSES
    ]
