"""``GET /metrics``: series follow the tickets, the text passes ``promtool check metrics``."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from app.intake import connector_health
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.tickets import Ticket
from app.outbox import service as outbox
from app.sla.sweeper import sweep
from tests.support.builders import auth, make_key, make_ticket

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


_texts = itertools.count()


def own_text() -> str:
    """A text with no address: automatic duplicate detection leaves the ticket alone."""
    return f"Холодные батареи, заявка {next(_texts)}"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def promtool_check(text: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is installed by scripts/install-test-deps.sh (make test-deps)"
    return subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )


async def test_open_gauge_follows_the_state_machine(client, app, db):
    token = await make_key(db, "operator", "roads")
    a = await make_ticket(db, text=own_text(), now=T0)
    b = await make_ticket(db, text=own_text(), now=T0)
    await make_ticket(db, text=own_text(), now=T0)
    app.state.clock = lambda: T0 + timedelta(hours=2)
    r = await client.post(
        f"/api/v1/tickets/{a.id}/answers",
        json={"text": "Работы начаты", "kind": "interim"},
        headers=auth(token),
    )
    assert r.status_code in (200, 201), r.text
    r = await client.post(
        f"/api/v1/tickets/{b.id}/transitions", json={"to": "in_progress"}, headers=auth(token)
    )
    assert r.status_code == 200, r.text
    app.state.clock = lambda: T0 + timedelta(hours=30)
    r = await client.post(
        f"/api/v1/tickets/{b.id}/answers", json={"text": "Яму заделали"}, headers=auth(token)
    )
    assert r.status_code in (200, 201), r.text

    text = (await client.get("/metrics")).text
    got = samples(text)
    open_ = "appeals_tickets_open"
    assert got[(open_, (("department", "roads"), ("status", "routed")))] == 2
    assert got[(open_, (("department", "roads"), ("status", "in_progress")))] == 0
    assert got[(open_, (("department", "zhkh"), ("status", "new")))] == 0
    routed = ("appeals_tickets_routed_total", (("department", "roads"), ("method", "category")))
    assert got[routed] == 3
    lab = (("kind", "direct_request"),)
    assert got[("appeals_first_response_seconds_count", lab)] == 2
    assert got[("appeals_first_response_seconds_sum", lab)] == 2 * 3600 + 30 * 3600
    assert got[("appeals_first_response_seconds_bucket", (*lab, ("le", "7200.0")))] == 1
    assert got[("appeals_resolution_seconds_count", lab)] == 1
    assert got[("appeals_resolution_seconds_bucket", (*lab, ("le", "86400.0")))] == 0
    assert got[("appeals_resolution_seconds_bucket", (*lab, ("le", "+Inf")))] == 1
    result = promtool_check(text)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_scrape_time_gauges_and_http_durations(app, client, db):
    async with db.sessionmaker() as session:
        await connector_health.record_success(session, "feedback_platform", now=T0)
        await connector_health.record_failure(
            session, "feedback_platform", reason="signature", now=T0
        )
        await metrics_store.increment(
            session,
            catalog.WEBHOOK_DELIVERIES,
            {"source": "feedback_platform", "outcome": "received"},
        )
        await session.commit()
    overdue = await make_ticket(
        db, text=own_text(), now=T0 - timedelta(days=40), kind="fz59_appeal"
    )
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, overdue.id)
        message = await outbox.enqueue(
            session, target="department_webhook", kind="sla_notification", payload={}, ticket=ticket
        )
        await session.commit()
    app.state.clock = lambda: message.created_at + timedelta(seconds=90)
    # The resolution overdue gauge is the sweeper's (app.metrics.overdue), not a scrape count.
    await sweep(db, message.created_at)
    await client.get("/api/v1/tickets/123456")  # 401 on a templated route
    await client.get("/no/such/path")
    text = (await client.get("/metrics")).text
    got = samples(text)
    assert (
        got[
            (
                "appeals_connector_last_success_timestamp_seconds",
                (("connector", "feedback_platform"),),
            )
        ]
        == T0.timestamp()
    )
    assert (
        got[
            (
                "appeals_connector_last_failure_timestamp_seconds",
                (("connector", "feedback_platform"),),
            )
        ]
        == T0.timestamp()
    )
    resolution = ("target", "resolution")
    assert got[("appeals_tickets_overdue", (("department", "roads"), resolution))] == 1
    assert got[("appeals_tickets_overdue", (("department", "zhkh"), resolution))] == 0
    info = (("department", "zhkh"), ("name", "Отдел ЖКХ"))
    assert got[("appeals_department_info", info)] == 1
    backlog = (("state", "pending"), ("target", "department_webhook"))
    assert got[("appeals_outbox_backlog_messages", backlog)] == 1
    assert got[("appeals_outbox_oldest_pending_age_seconds", backlog)] == 90
    routes = {
        dict(labels)["route"]
        for (name, labels) in got
        if name == "appeals_http_request_duration_seconds_count"
    }
    assert "/api/v1/tickets/{ticket_id}" in routes
    assert "unmatched" in routes
    assert not any("123456" in r for r in routes)
    assert "# TYPE appeals_webhook_deliveries_total counter" in text
    result = promtool_check(text)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_scopes_split_business_and_process_series(client, db):
    business = (await client.get("/metrics", params={"scope": "business"})).text
    process = (await client.get("/metrics", params={"scope": "process"})).text
    assert "appeals_tickets_open" in business
    assert "appeals_http_request_duration_seconds" not in business
    assert "appeals_http_request_duration_seconds" in process
    assert "appeals_tickets_open" not in process
    r = await client.get("/metrics", params={"scope": "nonsense"})
    assert r.status_code == 422
