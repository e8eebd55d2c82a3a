"""Every metric family of the hub, declared once: name, type, help, label names, buckets.

Code that writes a series names its declaration (``store.increment(session,
catalog.WEBHOOK_DELIVERIES, {...})``), never a string. The business scrape describes every
business family declared here, those with no samples yet too, and exposes nothing else.
Labels are bounded sets: never ids, numbers or personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Kind = Literal["counter", "gauge", "histogram"]
# store: durable rows in ``metric_counters``, written in the caller's transaction (the same on
# every replica); scrape: read from the database at scrape time (a gauge may also carry rows the
# worker refreshes, ``app.metrics.snapshots``); process: this process's memory.
Where = Literal["store", "scrape", "process"]

# Seconds: from minutes (IM first answers) to months (59-ФЗ with an extension).
DURATION_BUCKETS: tuple[float, ...] = (
    300,
    900,
    1800,
    3600,
    2 * 3600,
    4 * 3600,
    9 * 3600,
    86400,
    3 * 86400,
    7 * 86400,
    10 * 86400,
    30 * 86400,
    60 * 86400,
)


@dataclass(frozen=True)
class Family:
    """One metric family as Prometheus sees it (a counter's name ends in ``_total``)."""

    name: str
    type: Kind
    help: str
    labels: tuple[str, ...]
    where: Where = "store"
    buckets: tuple[float, ...] = ()

    @cached_property
    def label_names(self) -> frozenset[str]:
        return frozenset(self.labels)


TICKETS_RECEIVED = Family(
    "appeals_tickets_received_total",
    "counter",
    "Tickets created from inbound items, by source and channel.",
    ("source", "channel"),
)
TICKETS_ROUTED = Family(
    "appeals_tickets_routed_total",
    "counter",
    "Routing decisions for new tickets, by department and method.",
    ("department", "method"),
)
TICKETS_REROUTED = Family(
    "appeals_tickets_rerouted_total",
    "counter",
    "Tickets moved to another department, by from/to department and how.",
    ("from_department", "to_department", "how"),
)
TICKETS_BOUNCING = Family(
    "appeals_tickets_bouncing_total",
    "counter",
    "Tickets flagged as bouncing between departments, by department.",
    ("department",),
)
CITIZEN_FEEDBACK = Family(
    "appeals_citizen_feedback_total",
    "counter",
    "Citizens' ratings of answers, by source, department and sentiment.",
    ("source", "department", "sentiment"),
)
# A ticket counts once, the moment it first has both a final answer and a citizen's rating
# (whichever came second; app/metrics/rated_answers.py): rated answers / final answers
# (``appeals_resolution_seconds_count``, also once per ticket, by kind) is the rated share.
ANSWERS_RATED = Family(
    "appeals_answers_rated_total",
    "counter",
    "Tickets with a final answer and a citizen's rating, counted once when both first exist, "
    "by kind.",
    ("kind",),
)
# A signed counter in the store, moved by the ticket ORM hook (app/metrics/ticket_series.py).
TICKETS_OPEN = Family(
    "appeals_tickets_open",
    "gauge",
    "Tickets currently open, by status and department.",
    ("status", "department"),
)
# By kind (pos_message, fz59_appeal, social_post, …): an IM post is answered in hours, a ПОС
# message or a 59-ФЗ appeal in days, so their percentiles are read apart. City-wide: 16 series
# per label set on every scrape; a department's medians are in /api/v1/reports/sla.
FIRST_RESPONSE = Family(
    "appeals_first_response_seconds",
    "histogram",
    "Time from a ticket's creation to its first (interim or final) answer, by kind.",
    ("kind",),
    buckets=DURATION_BUCKETS,
)
RESOLUTION = Family(
    "appeals_resolution_seconds",
    "histogram",
    "Time from a ticket's creation to its final answer, by kind.",
    ("kind",),
    buckets=DURATION_BUCKETS,
)
# Every SLA target the sweeper marks (label ``target`` of the SLA families below). 59-ФЗ
# registration is breached only; it has no at-risk level.
SLA_TARGETS: tuple[str, ...] = ("registration", "first_response", "resolution")
SLA_AT_RISK = Family(
    "appeals_sla_at_risk_total",
    "counter",
    "Tickets that used 75 % of an SLA target, by department and target.",
    ("department", "target"),
)
SLA_BREACHES = Family(
    "appeals_sla_breaches_total",
    "counter",
    "Tickets that missed an SLA target, by department and target.",
    ("department", "target"),
)
# The other verdict: counted by the ticket ORM hook the moment a target is met (first response,
# final answer or 59-ФЗ registration by its deadline). met / (met + breaches) is the on-time
# share the SLA report computes (docs/METRICS.md).
SLA_MET = Family(
    "appeals_sla_met_total",
    "counter",
    "Tickets that met an SLA target (done by its deadline), by department and target.",
    ("department", "target"),
)
WEBHOOK_DELIVERIES = Family(
    "appeals_webhook_deliveries_total",
    "counter",
    "Inbound webhook deliveries, by source and outcome.",
    ("source", "outcome"),
)
OUTBOX_DELIVERIES = Family(
    "appeals_outbox_deliveries_total",
    "counter",
    "Outbound delivery attempts by the outbox relay, by target and outcome.",
    ("target", "outcome"),
)
OUTBOX_ENQUEUED = Family(
    "appeals_outbox_enqueued_total",
    "counter",
    "Messages written to the outbox, by target and kind.",
    ("target", "kind"),
)
OUTBOX_REPLAYS = Family(
    "appeals_outbox_replays_total",
    "counter",
    "Dead outbox messages replayed by an operator, by target.",
    ("target",),
)
CONNECTOR_FAILURES = Family(
    "appeals_connector_failures_total",
    "counter",
    "Connector failures, by connector and reason code.",
    ("connector", "reason"),
)
# target="resolution" is counted at scrape time; first_response and registration are counted by
# the worker every minute (app/metrics/snapshots.py: no index serves them at scrape time).
TICKETS_OVERDUE = Family(
    "appeals_tickets_overdue",
    "gauge",
    "Open tickets past a target's deadline with the target not met yet, by department and "
    "target (resolution and first response: running tickets; registration: any open one).",
    ("department", "target"),
    where="scrape",
)
DEPARTMENT_INFO = Family(
    "appeals_department_info",
    "gauge",
    "1 for every department of the city, with its name (join it for legends and alerts).",
    ("department", "name"),
    where="scrape",
)
# Russian names of the codes that are not departments (app/metrics/names.py), joined like
# appeals_department_info by the alerts.
SOURCE_INFO = Family(
    "appeals_source_info",
    "gauge",
    "1 for every source of appeals, with its Russian name (join it for alert texts).",
    ("source", "name"),
    where="scrape",
)
OUTBOX_TARGET_INFO = Family(
    "appeals_outbox_target_info",
    "gauge",
    "1 for every outbox target, with its Russian name (join it for alert texts).",
    ("target", "name"),
    where="scrape",
)
CONNECTOR_INFO = Family(
    "appeals_connector_info",
    "gauge",
    "1 for every connector, with its Russian name (join it for alert texts).",
    ("connector", "name"),
    where="scrape",
)
OUTBOX_BACKLOG = Family(
    "appeals_outbox_backlog_messages",
    "gauge",
    "Outbox messages not sent yet, by target and state (pending, sending, dead).",
    ("target", "state"),
    where="scrape",
)
OUTBOX_OLDEST_AGE = Family(
    "appeals_outbox_oldest_pending_age_seconds",
    "gauge",
    "Age of the oldest unsent outbox message, by target and state.",
    ("target", "state"),
    where="scrape",
)
INTAKE_BACKLOG = Family(
    "appeals_intake_backlog",
    "gauge",
    "Deliveries stored in the intake inbox and not made into tickets yet, by source.",
    ("source",),
    where="scrape",
)
INTAKE_OLDEST_AGE = Family(
    "appeals_intake_oldest_pending_age_seconds",
    "gauge",
    "Age of the oldest delivery still waiting in the intake inbox, by source (0 when none).",
    ("source",),
    where="scrape",
)
INTAKE_BATCH_SIZE = Family(
    "appeals_intake_batch_size",
    "histogram",
    "Deliveries the intake pipeline took in one batch (one transaction).",
    (),
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)
INTAKE_LATENCY = Family(
    "appeals_intake_latency_seconds",
    "histogram",
    "Time from a delivery's receipt to its outcome (the ticket made or updated), by source.",
    ("source",),
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
INTAKE_ITEMS = Family(
    "appeals_intake_items_total",
    "counter",
    "Deliveries the intake pipeline finished, by source, kind (webhook, import, poll) and "
    "outcome (created, updated, unchanged, stale, invalid).",
    ("source", "kind", "outcome"),
)
INCIDENTS_OPEN = Family(
    "appeals_incidents_open",
    "gauge",
    "Mass incidents open now, by status (suspected, confirmed, resolving).",
    ("status",),
    where="scrape",
)
INCIDENT_OLDEST_SUSPECTED = Family(
    "appeals_incident_oldest_suspected_age_seconds",
    "gauge",
    "Age of the oldest mass incident still suspected (not confirmed or dismissed); 0 when none.",
    (),
    where="scrape",
)
INCIDENT_TICKETS = Family(
    "appeals_incident_tickets_total",
    "counter",
    "Tickets linked to a mass incident, by how (rule: detection or the intake; operator).",
    ("how",),
)
CONNECTOR_LAST_SUCCESS = Family(
    "appeals_connector_last_success_timestamp_seconds",
    "gauge",
    "Unix time of the connector's last success; 0 for a known connector that never succeeded.",
    ("connector",),
    where="scrape",
)
CONNECTOR_LAST_FAILURE = Family(
    "appeals_connector_last_failure_timestamp_seconds",
    "gauge",
    "Unix time of the connector's last failure; 0 for a known connector that never failed.",
    ("connector",),
    where="scrape",
)
HTTP_REQUEST_DURATION = Family(
    "appeals_http_request_duration_seconds",
    "histogram",
    "HTTP request duration by method, route template and status code.",
    ("method", "route", "status"),
    where="process",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

FAMILIES: tuple[Family, ...] = (
    TICKETS_RECEIVED,
    TICKETS_ROUTED,
    TICKETS_REROUTED,
    TICKETS_BOUNCING,
    CITIZEN_FEEDBACK,
    ANSWERS_RATED,
    TICKETS_OPEN,
    FIRST_RESPONSE,
    RESOLUTION,
    SLA_AT_RISK,
    SLA_BREACHES,
    SLA_MET,
    WEBHOOK_DELIVERIES,
    OUTBOX_DELIVERIES,
    OUTBOX_ENQUEUED,
    OUTBOX_REPLAYS,
    CONNECTOR_FAILURES,
    TICKETS_OVERDUE,
    DEPARTMENT_INFO,
    SOURCE_INFO,
    OUTBOX_TARGET_INFO,
    CONNECTOR_INFO,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    INTAKE_BACKLOG,
    INTAKE_OLDEST_AGE,
    INTAKE_BATCH_SIZE,
    INTAKE_LATENCY,
    INTAKE_ITEMS,
    INCIDENTS_OPEN,
    INCIDENT_OLDEST_SUSPECTED,
    INCIDENT_TICKETS,
    CONNECTOR_LAST_SUCCESS,
    CONNECTOR_LAST_FAILURE,
    HTTP_REQUEST_DURATION,
)
# The families of ``/metrics?scope=business`` (the same on every replica), by name.
BUSINESS: dict[str, Family] = {
    f.name: f for f in sorted(FAMILIES, key=lambda f: f.name) if f.where != "process"
}
