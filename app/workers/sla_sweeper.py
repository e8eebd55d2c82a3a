"""The SLA sweeper loop: safe with any number of workers (``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import logging
from datetime import datetime

from app.db import Database
from app.sla.sweeper import sweep

log = logging.getLogger(__name__)


async def run_sla_sweeper(db: Database, now: datetime) -> None:
    """Mark tickets at risk (75 % used) and breached; notify the departments."""
    result = await sweep(db, now)
    if result.marks:
        log.info("sla sweep", extra={"picked": result.picked, "marks": dict(result.marks)})
