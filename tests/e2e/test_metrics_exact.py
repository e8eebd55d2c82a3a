"""Business metrics are exact with two api processes and worker-like writers at the same time,
and survive a restart: the scrape of either replica equals the operations performed. Signed
webhooks reach both apis while four intake pipelines race for the inbox (one in each api, one
in each of two workers): what was received is counted once at receipt, and what the pipelines
made of it once, whichever process made it."""

from __future__ import annotations

import asyncio
import base64
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from app.intake import connector_health
from app.metrics import catalog
from app.metrics import store as metrics_store
from tests.support.builders import auth, distinct_text, make_key, make_ticket
from tests.support.faults import pos_item
from tests.support.intake_http import all_processed
from tests.support.servers import Process, app_env, start_api
from tests.support.webhooks import POS_URL, SECRETS, encode, signed

TICKETS_PER_API = 30
WORKER_WRITERS = 4
WORKER_OPS = 25
# Signed ПОС deliveries to each api: distinct items; every second one sent again under a new
# webhook-id (the pipeline finds it unchanged), every third one's webhook-id repeated (a
# duplicate at receipt); one invalid body (quarantined) and one forged signature.
WEBHOOK_ITEMS = 15
RESENT = range(0, WEBHOOK_ITEMS, 2)
REPEATED = range(0, WEBHOOK_ITEMS, 3)
FORGED_SECRET = "whsec_" + base64.b64encode(b"not-a-secret-the-hub-holds-000000").decode()
SECRETS_ENV = {
    "APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS": SECRETS,
    "APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS": SECRETS,
}


def business(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        r = await c.get("/metrics", params={"scope": "business"})
        assert r.status_code == 200, r.text
        return business(r.text)


async def drive_api(base: str, token: str) -> None:
    """Create tickets; move every second one to work, answer every third one finally."""
    sem = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base, headers=auth(token), timeout=30) as c:

        async def one(i: int) -> None:
            async with sem:
                # A text of its own: duplicate detection merges none of them.
                body = {"text": distinct_text(), "category": "roads"}
                r = await c.post("/api/v1/tickets", json=body)
                assert r.status_code == 201, r.text
                ticket_id = r.json()["id"]
                if i % 2 == 0:
                    r = await c.post(
                        f"/api/v1/tickets/{ticket_id}/transitions", json={"to": "in_progress"}
                    )
                    assert r.status_code == 200, r.text
                if i % 3 == 0:
                    r = await c.post(
                        f"/api/v1/tickets/{ticket_id}/answers", json={"text": "Готово"}
                    )
                    assert r.status_code == 201, r.text
                    # The citizen's reaction, recorded by the operator (issue 11's counter).
                    r = await c.post(
                        f"/api/v1/tickets/{ticket_id}/feedback", json={"score": 4 + i % 2}
                    )
                    assert r.status_code in (200, 201), r.text

        await asyncio.gather(*(one(i) for i in range(TICKETS_PER_API)))


async def drive_webhooks(base: str, first_pos_id: int, admin: str) -> None:
    """Push this api's deliveries, concurrently; then follow every 202 until it is made."""
    sem = asyncio.Semaphore(8)
    accepted: list[httpx.Response] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:

        async def post(body: bytes, msg_id: str, *, status: int = 202, **signing: str) -> None:
            async with sem:
                r = await c.post(
                    POS_URL, content=body, headers=signed(body, msg_id=msg_id, **signing)
                )
            assert r.status_code == status, r.text
            if status == 202:
                accepted.append(r)

        async def item(n: int) -> None:
            body = encode(pos_item(first_pos_id + n))
            await post(body, f"msg_{first_pos_id + n}")
            resend = [post(body, f"msg_{first_pos_id + n}_again")] if n in RESENT else []
            repeat = [post(body, f"msg_{first_pos_id + n}")] if n in REPEATED else []
            await asyncio.gather(*resend, *repeat)

        async with asyncio.TaskGroup() as group:
            for n in range(WEBHOOK_ITEMS):
                group.create_task(item(n))
            invalid = pos_item(first_pos_id + 999)
            del invalid["description"]
            group.create_task(post(encode(invalid), f"msg_{first_pos_id}_bad", status=422))
            forged = encode(pos_item(first_pos_id + 998))
            group.create_task(
                post(forged, f"msg_{first_pos_id}_forged", status=401, secret=FORGED_SECRET)
            )
        made = await all_processed(c, (r.headers["location"] for r in accepted), auth(admin))
    outcomes = sorted(s["status"] for s in made.values())
    assert outcomes == sorted(["created"] * WEBHOOK_ITEMS + ["unchanged"] * len(RESENT)), outcomes


async def drive_worker(db, n: int) -> None:
    """Worker-like writers in this process: connector failures, outbox deliveries."""
    now = datetime.now(UTC)
    for _ in range(n):
        async with db.sessionmaker() as session:
            await connector_health.record_failure(
                session, "incident_management", reason="timeout", now=now
            )
            await metrics_store.increment(
                session,
                catalog.OUTBOX_DELIVERIES,
                {"target": "telegram", "outcome": "sent"},
            )
            await session.commit()


OVERDUE_TICKETS = 40


def start_sla_worker(database_url: str, tmp_path: Path, n: int) -> Process:
    """A real ``appeals worker`` process running the SLA sweeper and the intake pipeline often."""
    args = [sys.executable, "-c", "from app.cli.root import main; main()", "worker"]
    env = app_env(
        database_url,
        APPEALS_SLA_SWEEP_INTERVAL_SECONDS="0.2",
        APPEALS_INTAKE_POLL_SECONDS="0.05",
    )
    loops = ["--loop", "sla_sweeper", "--loop", "intake"]
    return Process([*args, *loops], env, tmp_path / f"worker-{n}.log")


async def sql(db, query: str) -> list[tuple]:
    async with db.sessionmaker() as session:
        return [tuple(r) for r in (await session.exec(text(query))).all()]  # type: ignore[call-overload]


async def wait_swept(db, workers: list[Process]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for w in workers:
            assert w.proc.poll() is None, w.log()
        due = await sql(db, "SELECT count(*) FROM tickets WHERE sla_next_check_at <= now()")
        if due[0][0] == 0:
            return
        await asyncio.sleep(0.3)
    raise TimeoutError("the SLA workers did not finish:\n" + workers[0].log())


async def sla_marks(db) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    metric = {"at_risk": "appeals_sla_at_risk_total", "breached": "appeals_sla_breaches_total"}
    rows = await sql(
        db,
        "SELECT level, department_code, target, count(*) FROM sla_marks "
        "GROUP BY level, department_code, target",
    )
    return {
        (metric[level], (("department", dept), ("target", target))): float(n)
        for level, dept, target, n in rows
    }


def without_ages(series: dict) -> dict:
    return {k: v for k, v in series.items() if not k[0].endswith("_age_seconds")}


def expected() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    total = 2 * TICKETS_PER_API
    per_api = range(TICKETS_PER_API)
    answered = 2 * sum(1 for i in per_api if i % 3 == 0)
    in_progress = 2 * sum(1 for i in per_api if i % 2 == 0 and i % 3 != 0)
    routed = total - answered - in_progress
    road = (("department", "roads"),)
    direct = ("kind", "direct_request")  # what staff record over the API
    pos = ("source", "feedback_platform")
    hook = ("kind", "webhook")
    received = 2 * (WEBHOOK_ITEMS + len(RESENT))
    return {
        ("appeals_webhook_deliveries_total", (("outcome", "received"), pos)): received,
        ("appeals_webhook_deliveries_total", (("outcome", "duplicate"), pos)): 2 * len(REPEATED),
        ("appeals_webhook_deliveries_total", (("outcome", "invalid"), pos)): 2,
        ("appeals_webhook_deliveries_total", (("outcome", "signature"), pos)): 2,
        ("appeals_intake_items_total", (hook, ("outcome", "created"), pos)): 2 * WEBHOOK_ITEMS,
        ("appeals_intake_items_total", (hook, ("outcome", "unchanged"), pos)): 2 * len(RESENT),
        ("appeals_intake_latency_seconds_count", (pos,)): received,
        ("appeals_intake_batch_size_sum", ()): received,  # each delivery in one batch, once
        ("appeals_intake_backlog", (pos,)): 0,
        ("appeals_tickets_routed_total", (*road, ("method", "explicit"))): total,
        ("appeals_tickets_open", (*road, ("status", "routed"))): routed,
        ("appeals_tickets_open", (*road, ("status", "in_progress"))): in_progress,
        ("appeals_resolution_seconds_count", (direct,)): answered,
        ("appeals_resolution_seconds_bucket", (direct, ("le", "+Inf"))): answered,
        ("appeals_first_response_seconds_count", (direct,)): answered,
        (
            "appeals_citizen_feedback_total",
            (*road, ("sentiment", "positive"), ("source", "manual")),
        ): answered,
        (
            "appeals_connector_failures_total",
            (("connector", "incident_management"), ("reason", "timeout")),
        ): WORKER_WRITERS * WORKER_OPS,
        (
            "appeals_outbox_deliveries_total",
            (("outcome", "sent"), ("target", "telegram")),
        ): WORKER_WRITERS * WORKER_OPS,
    }


async def test_two_apis_and_workers_count_exactly_and_survive_restart(db, database_url, tmp_path):
    token = await make_key(db, "operator", "roads")
    admin = await make_key(db, "admin")
    long_ago = datetime.now(UTC) - timedelta(days=40)
    for i in range(OVERDUE_TICKETS):  # 59-ФЗ appeals past their 30 days: the sweepers mark them
        await make_ticket(
            db,
            now=long_ago,
            kind="fz59_appeal",
            category_code="heating",
            text=f"Холодные батареи, заявка {i}",  # no address: not merged as duplicates
        )
    running: list[Process] = []
    try:
        api_a, base_a = await asyncio.to_thread(start_api, database_url, tmp_path, **SECRETS_ENV)
        running.append(api_a)
        api_b, base_b = await asyncio.to_thread(start_api, database_url, tmp_path, **SECRETS_ENV)
        running.append(api_b)
        workers = [start_sla_worker(database_url, tmp_path, n) for n in (1, 2)]
        running.extend(workers)
        # A task group, not gather: one failing cancels the rest (none writes on afterwards).
        async with asyncio.TaskGroup() as group:
            group.create_task(drive_api(base_a, token))
            group.create_task(drive_api(base_b, token))
            group.create_task(drive_webhooks(base_a, 950_000_000, admin))
            group.create_task(drive_webhooks(base_b, 950_100_000, admin))
            for _ in range(WORKER_WRITERS):
                group.create_task(drive_worker(db, WORKER_OPS))
        await wait_swept(db, workers)
        for w in workers:
            w.stop()
        from_a, from_b = await scrape(base_a), await scrape(base_b)
    finally:
        for proc in running:
            proc.stop()
    marks = await sla_marks(db)
    assert sum(marks.values()) >= OVERDUE_TICKETS
    for key, value in marks.items():  # each mark counted once, whichever worker made it
        assert from_a.get(key) == value, key
    # Every replica serves the same numbers (ages move with the clock, so they are left out).
    assert without_ages(from_a) == without_ages(from_b)
    for key, value in expected().items():
        assert from_a.get(key) == value, key
    # Every stored delivery finished by exactly one pipeline, counted by that one.
    finished = await sql(
        db,
        "SELECT outcome, count(*), max(attempts) FROM inbound_deliveries "
        "WHERE outcome <> 'duplicate' GROUP BY 1 ORDER BY 1",
    )
    assert finished == [
        ("created", 2 * WEBHOOK_ITEMS, 1),
        ("invalid", 2, 0),
        ("unchanged", 2 * len(RESENT), 1),
    ]

    api_c, base_c = await asyncio.to_thread(start_api, database_url, tmp_path)
    try:
        after_restart = await scrape(base_c)
    finally:
        api_c.stop()
    for key, value in expected().items():
        assert after_restart.get(key) == value, key
