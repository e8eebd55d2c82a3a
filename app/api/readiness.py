"""Connector health as a ``/readyz`` detail: last success and failures by reason, per connector."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

from app.intake.connector_health import all_health


def connectors_probe(app: FastAPI) -> Callable[[], Awaitable[dict[str, Any]]]:
    """A readiness probe reporting every connector; informative, it never makes us unready."""

    async def probe() -> dict[str, Any]:
        try:
            async with app.state.db.sessionmaker() as session:
                rows = await all_health(session)
        except Exception as exc:  # readiness reports; it never raises
            return {"error": type(exc).__name__}
        return {
            row.connector: {
                "last_success_at": row.last_success_at.isoformat() if row.last_success_at else None,
                "last_failure_at": row.last_failure_at.isoformat() if row.last_failure_at else None,
                "last_failure_reason": row.last_failure_reason,
                "failures": row.failures,
            }
            for row in sorted(rows, key=lambda r: r.connector)
        }

    return probe
