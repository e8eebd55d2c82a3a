"""The label sets every business counter is exposed with from start-up: at 0 until counted.

Prometheus' ``increase()`` and ``rate()`` see growth between two samples only, so a series
that first appears at 1 hides its first event: a department's first breach never fired the
alert, a first negative rating never reached the satisfaction panel. Every label set listed
here is therefore exposed at 0 before anything is counted (``zero_rows``), departments being
every active department of the city, read by the scrape: one the city config adds gets its
zeros at the next scrape.

The value sets are the bounded ones the writers use (enums where the models have them, the
writers' own codes otherwise; ``tests/unit/test_metric_label_sets.py`` holds them to the code).
A value not listed (a new reason code) still counts, but its first event is invisible to
``increase()``: list it here. Left out on purpose: re-routing pairs (departments², no panel).

The connectors' last success and last failure times are gauges, exposed at 0 ("never") for every
known connector: a connector that never succeeded but failed has a series for the panel
«Время с последнего успеха коннектора» and the alert ``AppealsConnectorStale`` to see.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence

from app.metrics import catalog
from app.metrics.catalog import Family
from app.models.common import OPEN_STATUSES, Channel, Kind, Source
from app.models.feedback import Sentiment
from app.models.inbound import DeliveryKind
from app.models.incidents import OPEN_INCIDENT_STATUSES, LinkedBy
from app.models.outbox import OutboxKind, OutboxTarget

# A label set: the family's label names and their values.
Labels = Mapping[str, str]
Row = tuple[str, Mapping[str, str], float]

DEPARTMENT = object()  # stands for "every active department"

SOURCES = tuple(s.value for s in Source)
CHANNELS = tuple(c.value for c in Channel)
# app.routing.rules.Decision.method, plus "manual" (re-routing by an operator).
ROUTING_METHODS = ("explicit", "rule", "category", "model", "triage", "manual")
# The sources that carry a rating (ПОС score, IM close reason, chat-bot) and staff entries.
FEEDBACK_SOURCES = ("feedback_platform", "incident_management", "chatbot", "manual")
SENTIMENTS = tuple(s.value for s in Sentiment)
# Sources with signed inbound webhooks (app.connectors.registry entries with ``inbound``).
WEBHOOK_SOURCES = ("feedback_platform", "incident_management")
# At receipt a delivery is stored (``received``), repeated, invalid or refused; what the
# pipeline made of it is counted once more, in appeals_intake_items_total.
WEBHOOK_OUTCOMES = ("received", "duplicate", "invalid", "signature")
INTAKE_KINDS = tuple(k.value for k in DeliveryKind)
INTAKE_OUTCOMES = ("created", "updated", "unchanged", "stale", "invalid")
OUTBOX_TARGETS = tuple(t.value for t in OutboxTarget)
OUTBOX_KINDS = (*(k.value for k in OutboxKind), "feedback")
OUTBOX_OUTCOMES = ("sent", "retry", "dead")  # app.outbox.policy.Outcome
OUTBOX_UNSENT = ("pending", "sending", "dead")  # the backlog's states (app.outbox.service)
# The registration target has no at-risk level (app/sla/sweeper.py).
AT_RISK_TARGETS = tuple(t for t in catalog.SLA_TARGETS if t != "registration")
_RELAY_REASONS = (
    "http_3xx",
    "http_4xx",
    "http_5xx",
    "rate_limited",
    "timeout",
    "network",
    "invalid_url",
    "not_configured",
)
# Connector-health names and the reason codes their failures carry.
CONNECTOR_REASONS: dict[str, tuple[str, ...]] = {
    "feedback_platform": ("signature", "invalid"),
    "incident_management": ("signature", "invalid"),
    "feedback_platform.poll": (
        "auth_failed",
        "bad_token_response",
        "bad_item_response",
        "invalid_item",
        "http_4xx",
        "http_5xx",
        "timeout",
        "network",
    ),
    "feedback_platform.answers": _RELAY_REASONS,
    "incident_management.answers": _RELAY_REASONS,
    "telegram": _RELAY_REASONS,
    "department_webhook": _RELAY_REASONS,
    "sstu.upload": _RELAY_REASONS,  # app.connectors.sstu.outbound.HEALTH_NAME
}
KINDS = tuple(k.value for k in Kind)
INCIDENT_OPEN_STATUSES = tuple(s.value for s in OPEN_INCIDENT_STATUSES)
INCIDENT_LINKS = tuple(h.value for h in LinkedBy)

# Family -> one value set per label, in declaration order.
_PRODUCTS: tuple[tuple[Family, tuple[object, ...]], ...] = (
    (catalog.TICKETS_RECEIVED, (SOURCES, CHANNELS)),
    (catalog.TICKETS_ROUTED, (DEPARTMENT, ROUTING_METHODS)),
    (catalog.TICKETS_BOUNCING, (DEPARTMENT,)),
    (catalog.CITIZEN_FEEDBACK, (FEEDBACK_SOURCES, DEPARTMENT, SENTIMENTS)),
    (catalog.ANSWERS_RATED, (KINDS,)),
    (catalog.TICKETS_OPEN, (tuple(sorted(s.value for s in OPEN_STATUSES)), DEPARTMENT)),
    (catalog.SLA_AT_RISK, (DEPARTMENT, AT_RISK_TARGETS)),
    (catalog.SLA_BREACHES, (DEPARTMENT, catalog.SLA_TARGETS)),
    (catalog.SLA_MET, (DEPARTMENT, catalog.SLA_TARGETS)),
    (catalog.WEBHOOK_DELIVERIES, (WEBHOOK_SOURCES, WEBHOOK_OUTCOMES)),
    (catalog.INTAKE_ITEMS, (WEBHOOK_SOURCES, INTAKE_KINDS, INTAKE_OUTCOMES)),
    (catalog.OUTBOX_DELIVERIES, (OUTBOX_TARGETS, OUTBOX_OUTCOMES)),
    (catalog.OUTBOX_ENQUEUED, (OUTBOX_TARGETS, OUTBOX_KINDS)),
    (catalog.OUTBOX_REPLAYS, (OUTBOX_TARGETS,)),
    (catalog.OUTBOX_BACKLOG, (OUTBOX_TARGETS, OUTBOX_UNSENT)),
    (catalog.TICKETS_OVERDUE, (DEPARTMENT, catalog.SLA_TARGETS)),
    (catalog.FIRST_RESPONSE, (KINDS,)),
    (catalog.INTAKE_LATENCY, (WEBHOOK_SOURCES,)),
    (catalog.INTAKE_BATCH_SIZE, ()),
    (catalog.RESOLUTION, (KINDS,)),
    (catalog.INCIDENTS_OPEN, (INCIDENT_OPEN_STATUSES,)),
    (catalog.INCIDENT_TICKETS, (INCIDENT_LINKS,)),
)


def known(departments: Sequence[str]) -> Iterable[tuple[Family, dict[str, str]]]:
    """Every known label set of every zero-filled family, for these active departments."""
    for family, domains in _PRODUCTS:
        values = [tuple(departments) if d is DEPARTMENT else d for d in domains]
        for combo in itertools.product(*values):  # type: ignore[call-overload]
            yield family, dict(zip(family.labels, combo, strict=True))
    for connector, reasons in CONNECTOR_REASONS.items():
        for reason in reasons:
            yield catalog.CONNECTOR_FAILURES, {"connector": connector, "reason": reason}
        # 0 = never: a connector that has only ever failed is seen by the panel and the alert.
        yield catalog.CONNECTOR_LAST_SUCCESS, {"connector": connector}
        yield catalog.CONNECTOR_LAST_FAILURE, {"connector": connector}


def _key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


@functools.lru_cache(maxsize=8)
def _known_series(departments: tuple[str, ...]) -> tuple[tuple[str, Labels, tuple], ...]:
    """(series name, labels, their key) of every known label set; a histogram's by ``_count``.
    The same departments on every scrape: computed once per set of departments."""
    out = []
    for family, labels in known(departments):
        name = family.name + "_count" if family.type == "histogram" else family.name
        out.append((name, labels, _key(labels)))
    return tuple(out)


def zero_rows(present: Iterable[Row], departments: Sequence[str]) -> list[Row]:
    """Rows at 0 for every known label set that ``present`` has no series of.

    A histogram's label set is judged by its ``_count`` series and gets a ``_count`` at 0;
    the collector completes its buckets and ``_sum`` at 0.
    """
    seen = {(name, _key(labels)) for name, labels, _ in present}
    return [
        (name, labels, 0.0)
        for name, labels, key in _known_series(tuple(departments))
        if (name, key) not in seen
    ]
