"""Replicas under load: two api and two full worker processes on one database. Every answer
reaches its source exactly once (no double delivery between the two relays) and every SLA
threshold is one timeline event, however the two sweepers raced.

test_metrics_exact.py already proves exact metrics with two api and two SLA workers, and
test_answers_back.py the repeat-with-the-same-id after a relay kill; this adds two relays
sharing one outbox and the timeline side of two sweepers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

from app.models.common import Role
from tests.support.builders import auth, make_key, make_ticket
from tests.support.loop import (
    IM_SECRET,
    OPEN,
    POS_SECRET,
    all_tickets,
    inbox_drained,
    record_sstu_outcome,
    relay_worker,
    start_simulator,
    until,
)
from tests.support.servers import Process, app_env, start_api

ITEMS = 20
OVERDUE = 30


def simulator(source: str, target: str, secret: str, tmp_path: Path, env: dict[str, str]):  # type: ignore[no-untyped-def]
    return start_simulator(source, target, secret, tmp_path, env, count=ITEMS, seed=11, wait=60)


def worker(database_url: str, pos: str, im: str, tmp_path: Path, n: int) -> Process:
    return relay_worker(
        database_url, pos, im, tmp_path, n,
        APPEALS_OUTBOX_INTERVAL_SECONDS="0.1",
        APPEALS_OUTBOX_BATCH_SIZE="5",
        APPEALS_SLA_SWEEP_INTERVAL_SECONDS="0.1",
    )  # fmt: skip


async def rows(db, query: str) -> list[tuple]:
    async with db.sessionmaker() as session:
        return [tuple(r) for r in (await session.exec(text(query))).all()]  # type: ignore[call-overload]


async def test_two_apis_two_workers_deliver_once_and_mark_sla_once(db, database_url, tmp_path):
    long_ago = datetime.now(UTC) - timedelta(days=40)
    for i in range(OVERDUE):  # 59-ФЗ appeals past their 30 days: both sweepers race for them
        await make_ticket(
            db, now=long_ago, kind="fz59_appeal", category_code="heating", text=f"Холодно, {i}"
        )
    secrets = {
        "APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS": POS_SECRET,
        "APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS": IM_SECRET,
    }
    running: list[Process] = []
    admin = await make_key(db, Role.admin)
    try:
        api_a, base_a = await asyncio.to_thread(start_api, database_url, tmp_path, **secrets)
        running.append(api_a)
        api_b, base_b = await asyncio.to_thread(start_api, database_url, tmp_path, **secrets)
        running.append(api_b)
        env = app_env(database_url)
        pos, pos_url = simulator(
            "feedback-platform", base_a + "/api/v1/webhooks/feedback-platform", POS_SECRET,
            tmp_path, env,
        )  # fmt: skip
        running.append(pos)
        im, im_url = simulator(
            "incident-management", base_b + "/api/v1/webhooks/incident-management", IM_SECRET,
            tmp_path, env,
        )  # fmt: skip
        running.append(im)
        async with (
            httpx.AsyncClient(base_url=base_a, headers=auth(admin), timeout=30) as hub,
            httpx.AsyncClient(timeout=30) as sims,
        ):

            async def pushed() -> bool:
                stats = [(await sims.get(u + "/simulator/stats")).json() for u in (pos_url, im_url)]
                return all(s["done"] for s in stats)

            await until(pushed, "both simulators to push every item", limit=180)
            await until(lambda: inbox_drained(db), "the pipelines to make their tickets", limit=60)

            tokens: dict[str, str] = {}
            expected: dict[str, set[int]] = {
                "feedback_platform": set(),
                "incident_management": set(),
            }
            sem = asyncio.Semaphore(6)

            async def answer(ticket: dict, kind: str, base: str) -> None:
                dept = ticket["department"]
                if dept not in tokens:
                    tokens[dept] = await make_key(db, Role.operator, dept)
                async with sem, httpx.AsyncClient(base_url=base, timeout=30) as c:
                    if kind == "final":
                        await record_sstu_outcome(c, ticket["id"], auth(tokens[dept]))
                    r = await c.post(
                        f"/api/v1/tickets/{ticket['id']}/answers",
                        json={"text": f"Ответ по {ticket['number']}: сделано.", "kind": kind},
                        headers=auth(tokens[dept]),
                    )
                assert r.status_code == 201, r.text
                expected[ticket["source"]].add(int(r.json()["id"]))

            async def answer_all(ticket: dict, kinds: list[str], base: str) -> None:
                for kind in kinds:  # interim before final: one ticket's answers in order
                    await answer(ticket, kind, base)

            calls = []
            for source in expected:
                for i, t in enumerate(await all_tickets(hub, source)):
                    if t["status"] not in OPEN:
                        continue
                    base = (base_a, base_b)[i % 2]  # both replicas take answers
                    kinds = ["interim", "final"] if i % 2 == 0 else ["final"]
                    calls.append((t, kinds, base))
            # A task group, not gather: one failing cancels the rest (none writes on afterwards).
            async with asyncio.TaskGroup() as group:
                for call in calls:
                    group.create_task(answer_all(*call))
            # Both workers start on a full outbox and a full SLA queue: they race for all of it.
            workers = [worker(database_url, pos_url, im_url, tmp_path, n) for n in (1, 2)]
            running.extend(workers)
            assert sum(len(v) for v in expected.values()) >= ITEMS

            async def delivered() -> dict[str, dict] | None:
                got = {
                    "feedback_platform": (await sims.get(pos_url + "/simulator/received")).json(),
                    "incident_management": (await sims.get(im_url + "/simulator/received")).json(),
                }
                for source, ids in expected.items():
                    seen = {a["answer_id"] for a in got[source]["answers"] if a["answer_id"]}
                    if not ids <= seen:
                        return None
                return got

            received = await until(delivered, "every answer at its source", limit=180)

            async def swept() -> bool:
                due = await rows(
                    db, "SELECT count(*) FROM tickets WHERE sla_next_check_at <= now()"
                )
                return due[0][0] == 0

            await until(swept, "both sweepers to mark every overdue ticket", limit=120)
            for w in workers:
                assert w.proc.poll() is None, w.log()
    finally:
        for proc in running:
            proc.stop()

    for source, ids in expected.items():
        answer_ids = [a["answer_id"] for a in received[source]["answers"] if a["answer_id"]]
        # Each answer at its ticket's source, once (an answer to a ticket merged with another
        # source's item also goes to that source: still once per source).
        assert ids <= set(answer_ids), source
        assert len(answer_ids) == len(set(answer_ids)), source
        assert received[source]["duplicates"] == 0, source  # no relay sent one twice
        assert received[source]["rejected_signatures"] == 0
    # Each outbox message was sent by exactly one relay, once.
    attempts = await rows(
        db,
        "SELECT data->>'message_id', count(*) FROM ticket_events "
        "WHERE type = 'delivery_attempt' AND data->>'outcome' = 'sent' GROUP BY 1",
    )
    assert attempts and all(n == 1 for _, n in attempts), attempts

    marks = await rows(db, "SELECT count(*) FROM sla_marks")
    events = await rows(
        db,
        "SELECT ticket_id, type, data->>'target', count(*) FROM ticket_events "
        "WHERE type IN ('sla_at_risk', 'sla_breached') GROUP BY 1, 2, 3",
    )
    overdue = {tid for tid, kind, _, _ in events if kind == "sla_breached"}
    assert len(overdue) >= OVERDUE
    assert all(n == 1 for *_, n in events), events  # one event per ticket, target and level
    assert len(events) == marks[0][0]
