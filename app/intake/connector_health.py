"""Recording connector successes and failures (shown in /readyz and as metrics)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.connector_health import ConnectorHealth

_SUCCESS = text(
    "INSERT INTO connector_health (connector, last_success_at, failures) VALUES (:c, :now, '{}') "
    "ON CONFLICT (connector) DO UPDATE SET last_success_at = GREATEST("
    "connector_health.last_success_at, EXCLUDED.last_success_at)"
)
_FAILURE = text(
    "INSERT INTO connector_health (connector, last_failure_at, last_failure_reason, failures) "
    "VALUES (:c, :now, CAST(:reason AS text), jsonb_build_object(CAST(:reason AS text), 1)) "
    "ON CONFLICT (connector) DO UPDATE SET last_failure_at = EXCLUDED.last_failure_at, "
    "last_failure_reason = EXCLUDED.last_failure_reason, failures = connector_health.failures "
    "|| jsonb_build_object(CAST(:reason AS text), "
    "COALESCE((connector_health.failures ->> CAST(:reason AS text))::int, 0) + 1)"
)


# One row per connector is a hot row: under a burst every delivery queued on its lock (the top
# wait in bench/, docs/PERFORMANCE.md). When another transaction is writing the row right now,
# its timestamp is as fresh as ours, so skip instead of waiting.
# One round trip: the row is updated when free; "present" tells a busy row from a missing one.
_SUCCESS_IF_FREE = text(
    "WITH done AS (UPDATE connector_health SET last_success_at = GREATEST(last_success_at, :now) "
    "WHERE connector = (SELECT connector FROM connector_health WHERE connector = :c "
    "FOR UPDATE SKIP LOCKED) RETURNING 1) "
    "SELECT EXISTS (SELECT 1 FROM connector_health WHERE connector = :c) AS present"
)


async def record_success(session: AsyncSession, connector: str, *, now: datetime) -> None:
    """The connector just did its job (a delivery stored, a poll answered, a send accepted).

    Never waits on the row: when another transaction holds it, that writer records the same
    moment. Only the very first success of a connector inserts the row.
    """
    params = {"c": connector, "now": now}
    present = (await session.exec(_SUCCESS_IF_FREE, params=params)).scalar_one()  # type: ignore[call-overload]
    if not present:
        await session.exec(_SUCCESS, params=params)  # type: ignore[call-overload]


async def record_failure(
    session: AsyncSession, connector: str, *, reason: str, now: datetime
) -> None:
    """A failure by a bounded reason code (e.g. ``signature``, ``timeout``, ``http_5xx``)."""
    await session.exec(  # type: ignore[call-overload]
        _FAILURE, params={"c": connector, "now": now, "reason": reason}
    )
    await metrics_store.increment(
        session, catalog.CONNECTOR_FAILURES, {"connector": connector, "reason": reason}
    )


async def all_health(session: AsyncSession) -> list[ConnectorHealth]:
    return list((await session.exec(select(ConnectorHealth))).all())
