"""The ``incidents`` loop: one surge-detection pass (a singleton: two detectors would open the
same incident twice)."""

from __future__ import annotations

import logging
from datetime import datetime

from app.db import Database
from app.incidents.surge import detect

log = logging.getLogger(__name__)


async def run_incidents(db: Database, now: datetime) -> None:
    """Join the last window's tickets to open incidents; open ``suspected`` ones on a surge."""
    async with db.sessionmaker() as session:
        opened = await detect(session, now=now)
        await session.commit()
    for incident in opened:
        log.info(
            "incident suspected",
            extra={
                "incident_id": incident.id,
                "family": incident.family,
                "district": incident.district_code,
                "tickets": incident.ticket_count,
                "info_risk": incident.info_risk,
            },
        )
