"""The SLA sweeper loop: safe with any number of workers (``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import logging
from datetime import datetime

from app.config import get_settings
from app.db import Database
from app.sla.sweeper import sweep
from app.workers.registry import register_loop

log = logging.getLogger(__name__)


@register_loop("sla_sweeper", interval=get_settings().sla_sweep_interval_seconds)
async def run_sla_sweeper(db: Database, now: datetime) -> None:
    """Mark tickets at risk (75 % used) and breached; notify the departments."""
    result = await sweep(db, now)
    if result.marks:
        log.info("sla sweep", extra={"picked": result.picked, "marks": dict(result.marks)})
