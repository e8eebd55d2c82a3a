"""The intake inbox's gauges for the business scrape: deliveries waiting for the pipeline and the
oldest one's age, by source. Read at scrape time from the small partial index of what waits
(``ix_inbound_pending``, ``outcome = 'received'``), so the figure is the same on every replica."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import catalog
from app.metrics.collector import Row
from app.metrics.label_sets import WEBHOOK_SOURCES

_PENDING = text(
    "SELECT source, count(*), EXTRACT(EPOCH FROM (CAST(:now AS timestamptz) - min(received_at))) "
    "FROM inbound_deliveries WHERE outcome = 'received' GROUP BY source ORDER BY source"
)


async def pending(session: AsyncSession, *, now: datetime) -> dict[str, tuple[int, float]]:
    """source -> (deliveries waiting, seconds the oldest has waited); sources with none absent."""
    rows = await session.exec(_PENDING, params={"now": now})  # type: ignore[call-overload]
    return {r[0]: (int(r[1]), max(0.0, float(r[2]))) for r in rows.all()}


async def backlog_rows(session: AsyncSession, *, now: datetime) -> list[Row]:
    """Both gauges for every source with a waiting delivery, and 0 for each known source
    (those that send to the inbox) when nothing of it waits."""
    waiting = dict.fromkeys(WEBHOOK_SOURCES, (0, 0.0)) | await pending(session, now=now)
    rows: list[Row] = []
    for source, (count, age) in sorted(waiting.items()):
        labels = {"source": source}
        rows.append((catalog.INTAKE_BACKLOG.name, labels, float(count)))
        rows.append((catalog.INTAKE_OLDEST_AGE.name, labels, age))
    return rows
