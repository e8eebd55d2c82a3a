"""The worker's intake loop: drain the inbox (the api processes do the same, woken by NOTIFY)."""

from __future__ import annotations

from datetime import datetime

from app.db import Database
from app.intake.pipeline import GATHER_SECONDS, drain


async def run_intake(db: Database, now: datetime) -> None:
    del now  # each delivery is made at its own receipt time
    await drain(db, batch=db.settings.intake_batch_max, gather=GATHER_SECONDS)
