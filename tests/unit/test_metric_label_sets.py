"""The zero-filled label sets (app/metrics/label_sets.py) are the values the writers use: a
value missing here would have its first event hidden from ``increase()``."""

from __future__ import annotations

from typing import get_args

from app.connectors.feedback_platform import outbound as pos_outbound
from app.connectors.incident_management import outbound as im_outbound
from app.connectors.registry import SOURCES
from app.connectors.sstu import outbound as sstu_outbound
from app.connectors.telegram import outbound as telegram_outbound
from app.intake import ingestion
from app.metrics import catalog, label_sets, names
from app.models.common import Source
from app.models.inbound import DeliveryKind, DeliveryOutcome
from app.models.outbox import OutboxState, OutboxTarget
from app.outbox.policy import Outcome
from app.workers import feedback_platform_poller


def test_value_sets_follow_the_code_that_writes_them():
    assert set(label_sets.OUTBOX_OUTCOMES) == {o.value for o in Outcome}
    assert set(label_sets.OUTBOX_UNSENT) == {s.value for s in OutboxState} - {"sent"}
    assert set(label_sets.WEBHOOK_SOURCES) == {n for n, e in SOURCES.items() if e.inbound}
    assert set(label_sets.AT_RISK_TARGETS) < set(catalog.SLA_TARGETS)
    # Receipt counts a delivery stored, repeated, quarantined at once or refused (401) ...
    assert set(label_sets.WEBHOOK_OUTCOMES) == {
        DeliveryOutcome.received.value,
        DeliveryOutcome.duplicate.value,
        DeliveryOutcome.invalid.value,
        "signature",
    }
    # ... the intake pipeline what it made of it: ingestion's outcomes, or poison (invalid).
    assert set(label_sets.INTAKE_OUTCOMES) == {
        *get_args(ingestion.Outcome),
        DeliveryOutcome.invalid.value,
    }
    assert set(label_sets.INTAKE_OUTCOMES) <= {o.value for o in DeliveryOutcome}
    assert set(label_sets.INTAKE_KINDS) == {k.value for k in DeliveryKind}
    answers = {o.OUTBOUND.health_name for o in (pos_outbound, im_outbound)}
    answers.add(telegram_outbound.TelegramSender.health_name)
    answers.add(sstu_outbound.SstuSender.health_name)  # the monthly ССТУ.РФ upload
    # The relay names a target without a sender (department webhooks) by the target itself.
    outbound = answers | {OutboxTarget.department_webhook.value}
    inbound = set(label_sets.WEBHOOK_SOURCES) | {feedback_platform_poller.HEALTH_NAME}
    assert set(label_sets.CONNECTOR_REASONS) == outbound | inbound
    assert (
        set(label_sets.CONNECTOR_REASONS[feedback_platform_poller.HEALTH_NAME])
        >= feedback_platform_poller._STOP_REASONS
    )


def test_every_zero_row_is_a_declared_label_set_and_departments_multiply():
    one = label_sets.zero_rows([], ["roads"])
    two = label_sets.zero_rows([], ["roads", "zhkh"])
    families = {f.name: f for f in catalog.FAMILIES}
    for name, labels, value in two:
        family = families[name.removesuffix("_count")]
        assert set(labels) == set(family.labels) and value == 0.0
    per_department = len(two) - len(one)
    assert per_department == len(one) - len(label_sets.zero_rows([], []))
    # breaches, met, overdue (3 targets each), at-risk (2), open (4), routed (6), bouncing,
    # ratings (4 sources × 3 sentiments)
    assert per_department == 3 * 3 + 2 + 4 + 6 + 1 + 12


def test_present_series_are_not_repeated():
    present = [("appeals_sla_breaches_total", {"target": "resolution", "department": "roads"}, 3.0)]
    rows = label_sets.zero_rows(present, ["roads"])
    breaches = [r for r in rows if r[0] == "appeals_sla_breaches_total"]
    assert sorted(r[1]["target"] for r in breaches) == ["first_response", "registration"]


def test_every_known_connector_is_exposed_at_0_never_succeeded_nor_failed():
    rows = label_sets.zero_rows([], [])
    for family in (catalog.CONNECTOR_LAST_SUCCESS, catalog.CONNECTOR_LAST_FAILURE):
        got = {r[1]["connector"] for r in rows if r[0] == family.name}
        assert got == set(label_sets.CONNECTOR_REASONS), family.name
    # A connector that has succeeded keeps its time: no 0 beside it.
    ok = [(catalog.CONNECTOR_LAST_SUCCESS.name, {"connector": "telegram"}, 1.7e9)]
    assert (catalog.CONNECTOR_LAST_SUCCESS.name, {"connector": "telegram"}, 0.0) not in (
        label_sets.zero_rows(ok, [])
    )


def test_every_code_an_alert_names_has_a_russian_name():
    """The alerts join the info series: a code without a name would drop its alert."""
    assert set(names.SOURCE_NAMES) == {s.value for s in Source} >= set(label_sets.WEBHOOK_SOURCES)
    assert set(names.OUTBOX_TARGET_NAMES) == {t.value for t in OutboxTarget}
    assert set(names.CONNECTOR_NAMES) == set(label_sets.CONNECTOR_REASONS)
    info = {(name, tuple(sorted(labels.items()))) for name, labels, _ in names.info_rows()}
    assert (
        "appeals_connector_info",
        (("connector", "feedback_platform.answers"), ("name", "ПОС: ответы")),
    ) in info
    assert len(info) == len(names.SOURCE_NAMES) + len(names.OUTBOX_TARGET_NAMES) + len(
        names.CONNECTOR_NAMES
    )
