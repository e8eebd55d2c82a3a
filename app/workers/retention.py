"""The personal-data retention loop: `appeals purge` on a timer, so no cron is needed."""

from __future__ import annotations

import logging
from datetime import datetime

from app.access.retention import purge_batch
from app.db import Database

log = logging.getLogger(__name__)

MAX_BATCHES_PER_PASS = 20  # a bounded pass; the rest waits for the next hour


async def run_personal_data_purge(db: Database, now: datetime) -> None:
    """Clear applicants' personal data of tickets closed longer than the retention period."""
    days = db.settings.personal_data_retention_days
    purged = 0
    for _ in range(MAX_BATCHES_PER_PASS):
        async with db.sessionmaker() as session:
            report = await purge_batch(session, retention_days=days, now=now, actor="worker:purge")
            await session.commit()
        purged += report.tickets
        if report.tickets == 0:
            break
    if purged:
        log.info("personal data purged: %d tickets", purged)
