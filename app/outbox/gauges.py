"""The outbox's gauges for the business scrape: unsent messages and the oldest one's age."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import catalog
from app.metrics.collector import Row
from app.outbox.service import backlog


async def backlog_rows(session: AsyncSession, *, now: datetime) -> list[Row]:
    """By target and state (pending, sending, dead); none while the outbox is not migrated."""
    migrated = await session.exec(text("SELECT to_regclass('outbox_messages') IS NOT NULL"))  # type: ignore[call-overload]
    if not migrated.one()[0]:
        return []
    rows: list[Row] = []
    for target, state, count, age in await backlog(session, now=now):
        labels = {"target": target, "state": state}
        rows.append((catalog.OUTBOX_BACKLOG.name, labels, float(count)))
        rows.append((catalog.OUTBOX_OLDEST_AGE.name, labels, age))
    return rows
