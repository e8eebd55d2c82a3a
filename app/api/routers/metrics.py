"""``GET /metrics``: Prometheus exposition."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from app.api.deps import NowDep, SessionDep
from app.incidents.gauges import open_rows as incident_rows
from app.intake.gauges import backlog_rows as intake_rows
from app.metrics import exposition as metrics
from app.metrics.http import process_exposition
from app.outbox.gauges import backlog_rows

router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def scrape(
    session: SessionDep, now: NowDep, scope: Literal["all", "business", "process"] = "all"
) -> Response:
    """Business series (from PostgreSQL, the same on every replica) and/or this process's own.

    With several replicas, scrape ``scope=business`` once through the service address and
    ``scope=process`` on each replica, so business series are not counted once per replica.
    """
    parts = []
    if scope in ("all", "business"):
        extra = [
            *await backlog_rows(session, now=now),
            *await intake_rows(session, now=now),
            *await incident_rows(session, now=now),
        ]
        parts.append(metrics.render(await metrics.read_rows(session, now=now, extra=extra)))
    if scope in ("all", "process"):
        parts.append(process_exposition())
    return Response("".join(parts), media_type=metrics.CONTENT_TYPE)
