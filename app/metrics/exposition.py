"""The business scrape: read the rows one scrape exposes, render them with ``prometheus_client``.

Everything read here comes from small tables whose size depends on label sets, not on tickets:
``metric_counters`` (sharded counters, histograms and the signed open-tickets gauge, summed at
read), ``connector_health`` (one row per connector), ``departments``, and the overdue open
tickets through the partial index ``ix_tickets_open_due``. Gauges another domain reads itself
(the outbox backlog, ``app.outbox.gauges``) are handed in by the face as ``extra`` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import catalog
from app.metrics import store as metrics_store
from app.metrics.collector import BusinessCollector, Row
from app.models.common import OPEN_STATUSES

# Prometheus text format 0.0.4: what Prometheus and ``promtool check metrics`` read.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


async def read_rows(
    session: AsyncSession, *, now: datetime, extra: Iterable[Row] = ()
) -> list[Row]:
    """Every business series of this scrape: the durable store and the scrape-time gauges."""
    stored: list[Row] = list(await metrics_store.read_all(session))
    active = await _rows(session, "SELECT code FROM departments WHERE active ORDER BY code")
    departments = [code for (code,) in active]
    return [
        *stored,
        *_open_zeroes(stored, departments),
        *await _connector_successes(session),
        *await _overdue(session, now=now, departments=departments),
        *extra,
    ]


def render(rows: Sequence[Row]) -> str:
    """The text exposition of every business family (described even with no rows)."""
    registry = CollectorRegistry()
    registry.register(BusinessCollector(rows))
    return generate_latest(registry).decode()


def _open_zeroes(stored: Sequence[Row], departments: Sequence[str]) -> list[Row]:
    """Zero series for every (open status, active department) that has none yet."""
    name = catalog.TICKETS_OPEN.name
    seen = {(lab.get("status"), lab.get("department")) for n, lab, _ in stored if n == name}
    return [
        (name, {"status": s.value, "department": code}, 0.0)
        for code in departments
        for s in sorted(OPEN_STATUSES)
        if (s.value, code) not in seen
    ]


async def _rows(session: AsyncSession, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    result = await session.exec(text(sql), params=params)  # type: ignore[call-overload]
    return [tuple(r) for r in result.all()]


async def _connector_successes(session: AsyncSession) -> list[Row]:
    rows = await _rows(
        session,
        "SELECT connector, last_success_at FROM connector_health "
        "WHERE last_success_at IS NOT NULL ORDER BY connector",
    )
    name = catalog.CONNECTOR_LAST_SUCCESS.name
    return [(name, {"connector": connector}, at.timestamp()) for connector, at in rows]


async def _overdue(
    session: AsyncSession, *, now: datetime, departments: Sequence[str]
) -> list[Row]:
    """Overdue running tickets by department, 0 for every active department with none."""
    # Served by the partial index ix_tickets_open_due: touches only overdue open tickets.
    # On-hold tickets are left out: their clock is paused and the deadline moves on resume.
    counts = dict(
        await _rows(
            session,
            "SELECT department_code, count(*) FROM tickets "
            "WHERE status IN ('new','routed','in_progress') "
            "AND resolution_due_at < :now GROUP BY department_code ORDER BY department_code",
            now=now,
        )
    )
    for code in departments:
        counts.setdefault(code, 0)
    name = catalog.TICKETS_OVERDUE.name
    return [(name, {"department": code}, float(count)) for code, count in sorted(counts.items())]
