"""The Prometheus exposition of the business series (durable, exact across replicas).

Everything here is read from small tables whose size depends on label sets, not on tickets:
``metric_counters`` (sharded counters, histograms and the signed open-tickets gauge, summed at
read), ``connector_health`` (one row per connector), ``departments``, and two index-bounded
queries (overdue open tickets via ``ix_tickets_open_due``; the outbox backlog, when the outbox
table exists).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.utils import floatToGoString
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import store as metrics_store
from app.metrics import ticket_series as ticket_metrics
from app.models.common import OPEN_STATUSES

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Family:
    type: str  # counter | gauge | histogram
    help: str
    buckets: tuple[float, ...] = ()


FAMILIES: dict[str, Family] = {
    "appeals_tickets_received_total": Family(
        "counter", "Tickets created from inbound items, by source and channel."
    ),
    "appeals_tickets_routed_total": Family(
        "counter", "Routing decisions for new tickets, by department and method."
    ),
    "appeals_tickets_rerouted_total": Family(
        "counter", "Tickets moved to another department, by from/to department and how."
    ),
    "appeals_tickets_bouncing_total": Family(
        "counter", "Tickets flagged as bouncing between departments, by department."
    ),
    "appeals_citizen_feedback_total": Family(
        "counter", "Citizens' ratings of answers, by source, department and sentiment."
    ),
    ticket_metrics.OPEN_TICKETS: Family(
        "gauge", "Tickets currently open, by status and department."
    ),
    ticket_metrics.FIRST_RESPONSE: Family(
        "histogram",
        "Time from a ticket's creation to its first (interim or final) answer.",
        metrics_store.DURATION_BUCKETS,
    ),
    ticket_metrics.RESOLUTION: Family(
        "histogram",
        "Time from a ticket's creation to its final answer.",
        metrics_store.DURATION_BUCKETS,
    ),
    "appeals_sla_at_risk_total": Family(
        "counter", "Tickets that used 75 % of an SLA target, by department and target."
    ),
    "appeals_sla_breaches_total": Family(
        "counter", "Tickets that missed an SLA target, by department and target."
    ),
    "appeals_webhook_deliveries_total": Family(
        "counter", "Inbound webhook deliveries, by source and outcome."
    ),
    "appeals_outbox_deliveries_total": Family(
        "counter", "Outbound delivery attempts by the outbox relay, by target and outcome."
    ),
    "appeals_outbox_enqueued_total": Family(
        "counter", "Messages written to the outbox, by target and kind."
    ),
    "appeals_outbox_replays_total": Family(
        "counter", "Dead outbox messages replayed by an operator, by target."
    ),
    "appeals_connector_failures_total": Family(
        "counter", "Connector failures, by connector and reason code."
    ),
    "appeals_tickets_overdue": Family(
        "gauge", "Running tickets (not on hold) past their resolution deadline, by department."
    ),
    "appeals_outbox_backlog_messages": Family(
        "gauge", "Outbox messages not sent yet, by target and state (pending, sending, dead)."
    ),
    "appeals_outbox_oldest_pending_age_seconds": Family(
        "gauge", "Age of the oldest unsent outbox message, by target and state."
    ),
    "appeals_connector_last_success_timestamp_seconds": Family(
        "gauge", "Unix time of the connector's last success."
    ),
}

Sample = tuple[str, dict[str, str], float]


async def render(session: AsyncSession, *, now: datetime) -> str:
    """The whole business exposition, from the durable store and cheap scrape-time gauges."""
    samples = await metrics_store.read_all(session)
    samples.extend(await _open_zeroes(session, samples))
    samples.extend(await _scrape_time_gauges(session, now=now))
    return exposition(samples)


async def _open_zeroes(session: AsyncSession, samples: list[Sample]) -> list[Sample]:
    """Zero series for every (open status, active department) that has none yet."""
    seen = {
        (lab.get("status"), lab.get("department"))
        for name, lab, _ in samples
        if name == ticket_metrics.OPEN_TICKETS
    }
    rows = await _rows(session, "SELECT code FROM departments WHERE active ORDER BY code")
    return [
        (ticket_metrics.OPEN_TICKETS, {"status": s.value, "department": r[0]}, 0.0)
        for r in rows
        for s in sorted(OPEN_STATUSES)
        if (s.value, r[0]) not in seen
    ]


async def _rows(session: AsyncSession, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    result = await session.exec(text(sql), params=params)  # type: ignore[call-overload]
    return [tuple(r) for r in result.all()]


async def _scrape_time_gauges(session: AsyncSession, *, now: datetime) -> list[Sample]:
    out: list[Sample] = []
    for connector, at in await _rows(
        session,
        "SELECT connector, last_success_at FROM connector_health "
        "WHERE last_success_at IS NOT NULL ORDER BY connector",
    ):
        out.append(
            (
                "appeals_connector_last_success_timestamp_seconds",
                {"connector": connector},
                at.timestamp(),
            )
        )
    # Served by the partial index ix_tickets_open_due: touches only overdue open tickets.
    # On-hold tickets are left out: their clock is paused and the deadline moves on resume.
    overdue = await _rows(
        session,
        "SELECT department_code, count(*) FROM tickets "
        "WHERE status IN ('new','routed','in_progress') "
        "AND resolution_due_at < :now GROUP BY department_code ORDER BY department_code",
        now=now,
    )
    counts = dict(overdue)
    for (code,) in await _rows(session, "SELECT code FROM departments WHERE active ORDER BY code"):
        counts.setdefault(code, 0)
    for code, count in sorted(counts.items()):
        out.append(("appeals_tickets_overdue", {"department": code}, float(count)))
    out.extend(await outbox_gauges(session, now=now))
    return out


async def outbox_gauges(session: AsyncSession, *, now: datetime) -> list[Sample]:
    """Unsent outbox messages by target and state (pending, sending, dead) and their age."""
    (exists,) = (await _rows(session, "SELECT to_regclass('outbox_messages') IS NOT NULL"))[0]
    if not exists:
        return []
    from app.outbox import service as outbox

    out: list[Sample] = []
    for target, state, count, age in await outbox.backlog(session, now=now):
        labels = {"target": target, "state": state}
        out.append(("appeals_outbox_backlog_messages", labels, float(count)))
        out.append(("appeals_outbox_oldest_pending_age_seconds", labels, age))
    return out


def _family_of(name: str, histograms: set[str]) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in histograms:
            return name[: -len(suffix)]
    return name


def exposition(samples: Iterable[Sample]) -> str:
    """Prometheus text format 0.0.4: HELP/TYPE per family, histogram buckets completed."""
    samples = list(samples)
    histograms = {n for n, f in FAMILIES.items() if f.type == "histogram"}
    histograms |= {n[: -len("_bucket")] for n, _, _ in samples if n.endswith("_bucket")}
    grouped: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        grouped[_family_of(sample[0], histograms)].append(sample)
    lines: list[str] = []
    for family in sorted(grouped):
        meta = FAMILIES.get(family) or _guess(family, histograms)
        lines.append(f"# HELP {family} {meta.help}")
        lines.append(f"# TYPE {family} {meta.type}")
        if meta.type == "histogram":
            lines.extend(_histogram_lines(family, grouped[family], meta.buckets))
        else:
            for name, labels, value in sorted(grouped[family], key=_sort_key):
                lines.append(_line(name, labels, value))
    return "\n".join(lines) + "\n" if lines else ""


def _guess(family: str, histograms: set[str]) -> Family:
    if family in histograms:
        return Family("histogram", f"{family} (no description registered).")
    kind = "counter" if family.endswith("_total") else "gauge"
    return Family(kind, f"{family} (no description registered).")


def _histogram_lines(family: str, samples: list[Sample], known: tuple[float, ...]) -> list[str]:
    # Buckets are cumulative in the store (an observation bumps every bucket it fits), but a
    # bucket row exists only once something fell in it: fill the missing ones with 0.
    bounds = {float(b) for b in known} | {
        float(lab["le"])
        for name, lab, _ in samples
        if name.endswith("_bucket") and lab.get("le") not in (None, "+Inf")
    }
    by_labels: dict[tuple[tuple[str, str], ...], dict[str, float]] = defaultdict(dict)
    for name, labels, value in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        suffix = name[len(family) :]
        field = f"le={float(labels['le'])}" if suffix == "_bucket" else suffix
        by_labels[key][field] = value
    lines: list[str] = []
    for key in sorted(by_labels):
        values = by_labels[key]
        base = dict(key)
        count = values.get("_count", values.get("le=inf", 0.0))
        for bound in sorted(bounds):
            value = values.get(f"le={bound}", 0.0)
            lines.append(_line(f"{family}_bucket", {**base, "le": floatToGoString(bound)}, value))
        lines.append(_line(f"{family}_bucket", {**base, "le": "+Inf"}, count))
        lines.append(_line(f"{family}_sum", base, values.get("_sum", 0.0)))
        lines.append(_line(f"{family}_count", base, count))
    return lines


def _sort_key(sample: Sample) -> tuple[str, list[tuple[str, str]]]:
    return (sample[0], sorted(sample[1].items()))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _line(name: str, labels: Mapping[str, str], value: float) -> str:
    if math.isnan(value):
        value = 0.0
    if labels:
        inner = _label_text(tuple(sorted((k, str(v)) for k, v in labels.items())))
        return f"{name}{{{inner}}} {floatToGoString(value)}"
    return f"{name} {floatToGoString(value)}"


@functools.lru_cache(maxsize=65536)
def _label_text(labels: tuple[tuple[str, str], ...]) -> str:
    """``a="1",b="2"`` for a sorted label set, rendered once per process: label sets are
    bounded (never ids), and escaping them on every scrape was a third of its CPU."""
    return ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
