"""Folding the metric counter shards so the scrape reads about one row per series, and the
overdue counts no index serves at scrape time (``app.metrics.snapshots``)."""

from __future__ import annotations

import logging
from datetime import datetime

from app.db import Database
from app.metrics.snapshots import refresh_overdue
from app.metrics.store import fold_shards, vacuum_counters

log = logging.getLogger(__name__)


async def run_metrics_fold(db: Database, now: datetime) -> None:
    """One pass: shards 1-15 of every counter into shard 0 (exact; see metrics_store), the
    overdue snapshot replaced, then the dead rows that left are reclaimed."""
    async with db.sessionmaker() as session:
        folded = await fold_shards(session)
        await session.commit()
    async with db.sessionmaker() as session:
        await refresh_overdue(session, now=now)
        await session.commit()
    await vacuum_counters(db.engine)
    if folded:
        log.debug("metric counter series folded: %d", folded)
