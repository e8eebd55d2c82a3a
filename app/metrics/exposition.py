"""The business scrape: read the rows one scrape exposes, render them with ``prometheus_client``.

Everything read here comes from small tables whose size depends on label sets, not on tickets:
``metric_counters`` (sharded counters, histograms, the signed open-tickets and resolution
overdue gauges, the worker's overdue snapshot, summed at read), ``connector_health`` (one row
per connector) and ``departments``: no ticket is counted at scrape time. The names of sources,
outbox targets and connectors are constant info series (``app.metrics.names``).
Gauges another domain reads itself (the outbox backlog, ``app.outbox.gauges``) are handed in by
the face as ``extra`` rows. Every known label set without a row is added at 0
(``app.metrics.label_sets``), so ``increase()`` sees each first event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import catalog, label_sets, names
from app.metrics import store as metrics_store
from app.metrics.collector import BusinessCollector, Row

# Prometheus text format 0.0.4: what Prometheus and ``promtool check metrics`` read.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


async def read_rows(
    session: AsyncSession, *, now: datetime, extra: Iterable[Row] = ()
) -> list[Row]:
    """Every business series of this scrape: the durable store and the scrape-time gauges."""
    stored: list[Row] = list(await metrics_store.read_all(session))
    departments = await _rows(session, "SELECT code, name, active FROM departments ORDER BY code")
    active = [code for code, _, is_active in departments if is_active]
    rows = [
        *stored,
        *_department_info(departments),
        *names.info_rows(),
        *await _connector_times(session),
        *extra,
    ]
    return [*rows, *label_sets.zero_rows(rows, active)]


def render(rows: Sequence[Row]) -> str:
    """The text exposition of every business family (described even with no rows)."""
    registry = CollectorRegistry()
    registry.register(BusinessCollector(rows))
    return generate_latest(registry).decode()


def _department_info(departments: Sequence[tuple[str, str, bool]]) -> list[Row]:
    """``appeals_department_info{department, name} 1`` for every department, active or not."""
    name = catalog.DEPARTMENT_INFO.name
    return [(name, {"department": code, "name": title}, 1.0) for code, title, _ in departments]


async def _rows(session: AsyncSession, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    result = await session.exec(text(sql), params=params)  # type: ignore[call-overload]
    return [tuple(r) for r in result.all()]


async def _connector_times(session: AsyncSession) -> list[Row]:
    """The last success and the last failure of every connector that had one."""
    rows = await _rows(
        session,
        "SELECT connector, last_success_at, last_failure_at FROM connector_health "
        "ORDER BY connector",
    )
    out: list[Row] = []
    for connector, success, failure in rows:
        for family, at in (
            (catalog.CONNECTOR_LAST_SUCCESS, success),
            (catalog.CONNECTOR_LAST_FAILURE, failure),
        ):
            if at is not None:
                out.append((family.name, {"connector": connector}, at.timestamp()))
    return out
