"""Every known label set is on ``/metrics`` at 0 before anything is counted, and a department
the city config adds gets its zeros at the next scrape: ``increase()`` sees each first event."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from app.directory.city_config import DepartmentSpec
from app.directory.city_setup import apply_city_config
from app.metrics import store as metrics_store

Key = tuple[str, tuple[tuple[str, str], ...]]


def samples(text: str) -> dict[Key, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def key(series: str, **labels: str) -> Key:
    return (series, tuple(sorted(labels.items())))


# One label set of each zero-filled family, as a fresh city's first scrape must show it.
FRESH = [
    key("appeals_sla_breaches_total", department="roads", target="resolution"),
    key("appeals_sla_breaches_total", department="zhkh", target="first_response"),
    key("appeals_sla_breaches_total", department="zhkh", target="registration"),
    key("appeals_sla_met_total", department="blago", target="resolution"),
    key("appeals_sla_at_risk_total", department="roads", target="first_response"),
    key(
        "appeals_citizen_feedback_total",
        source="feedback_platform",
        department="zhkh",
        sentiment="negative",
    ),
    key("appeals_citizen_feedback_total", source="manual", department="roads", sentiment="neutral"),
    key("appeals_webhook_deliveries_total", source="incident_management", outcome="signature"),
    key("appeals_webhook_deliveries_total", source="feedback_platform", outcome="received"),
    key("appeals_intake_items_total", source="feedback_platform", kind="import", outcome="created"),
    key(
        "appeals_intake_items_total", source="incident_management", kind="webhook", outcome="stale"
    ),
    key("appeals_intake_latency_seconds_count", source="incident_management"),
    key("appeals_intake_batch_size_count"),
    key("appeals_intake_backlog", source="feedback_platform"),
    key("appeals_intake_oldest_pending_age_seconds", source="incident_management"),
    key("appeals_outbox_deliveries_total", target="incident_management", outcome="retry"),
    key("appeals_outbox_enqueued_total", target="department_webhook", kind="feedback"),
    key(
        "appeals_connector_failures_total",
        connector="incident_management.answers",
        reason="http_5xx",
    ),
    key("appeals_connector_failures_total", connector="feedback_platform", reason="signature"),
    key("appeals_tickets_received_total", source="incident_management", channel="vk"),
    key("appeals_tickets_routed_total", department="roads", method="triage"),
    key("appeals_tickets_open", department="roads", status="new"),
    key("appeals_tickets_overdue", department="roads", target="first_response"),
    key("appeals_tickets_overdue", department="roads", target="resolution"),
    key("appeals_resolution_seconds_count", kind="fz59_appeal"),
    key("appeals_resolution_seconds_bucket", kind="fz59_appeal", le="+Inf"),
    key("appeals_resolution_seconds_bucket", kind="pos_message", le="864000.0"),
    key("appeals_first_response_seconds_count", kind="social_post"),
    key("appeals_answers_rated_total", kind="pos_message"),
    # 0 = never: a connector that only ever fails is seen by the panel and the alert.
    key("appeals_connector_last_success_timestamp_seconds", connector="feedback_platform.answers"),
    key("appeals_connector_last_failure_timestamp_seconds", connector="department_webhook"),
]
# The Russian names the alerts join (app/metrics/names.py), 1 each.
NAMES = [
    key("appeals_source_info", source="incident_management", name="Инцидент Менеджмент"),
    key("appeals_outbox_target_info", target="feedback_platform", name="ПОС"),
    key("appeals_connector_info", connector="feedback_platform.answers", name="ПОС: ответы"),
]


async def test_a_fresh_city_exposes_every_known_series_at_zero(client, db):
    async with db.sessionmaker() as session:
        assert await metrics_store.read_all(session) == []  # nothing counted yet
    got = samples((await client.get("/metrics", params={"scope": "business"})).text)
    assert {k: got.get(k) for k in FRESH} == dict.fromkeys(FRESH, 0.0)
    assert {k: got.get(k) for k in NAMES} == dict.fromkeys(NAMES, 1.0)
    # Every active department, every SLA target: the breaches a department can have.
    departments = {
        dict(labels)["department"] for name, labels in got if name == "appeals_department_info"
    }
    breaches = {
        (dict(labels)["department"], dict(labels)["target"])
        for name, labels in got
        if name == "appeals_sla_breaches_total"
    }
    targets = {"first_response", "resolution", "registration"}
    assert breaches == {(d, t) for d in departments for t in targets}
    assert got[key("appeals_department_info", department="roads", name="Отдел дорог и транспорта")]


async def test_a_department_the_city_config_adds_is_at_zero_at_the_next_scrape(
    client, db, city_config
):
    wanted = key("appeals_sla_breaches_total", department="parks", target="resolution")
    before = samples((await client.get("/metrics", params={"scope": "business"})).text)
    assert wanted not in before
    added = city_config.model_copy(
        update={
            "departments": [*city_config.departments, DepartmentSpec(code="parks", name="Парки")]
        }
    )
    async with db.sessionmaker() as session:
        await apply_city_config(session, added)
        await session.commit()
    got = samples((await client.get("/metrics", params={"scope": "business"})).text)
    assert got[wanted] == 0
    assert got[key("appeals_department_info", department="parks", name="Парки")] == 1
    negative = key(
        "appeals_citizen_feedback_total",
        source="incident_management",
        department="parks",
        sentiment="negative",
    )
    assert got[negative] == 0
