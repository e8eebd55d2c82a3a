"""The whole loop on real processes: both simulators push signed items to a real api, the
worker relays operators' answers back, and every answer reaches its source exactly once per
answer id, even when the worker is SIGKILLed mid-delivery and started again."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from app.models.common import Role
from tests.support.builders import auth, make_key
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

ITEMS = 8


def simulator(source: str, target: str, secret: str, tmp_path: Path, env: dict[str, str]):  # type: ignore[no-untyped-def]
    return start_simulator(source, target, secret, tmp_path, env, count=ITEMS, seed=3)


def worker(database_url: str, pos: str, im: str, tmp_path: Path, n: int) -> Process:
    return relay_worker(
        database_url, pos, im, tmp_path, n,
        APPEALS_FEEDBACK_PLATFORM_POLL_INTERVAL_SECONDS="1",
        APPEALS_OUTBOX_INTERVAL_SECONDS="0.2",
        APPEALS_OUTBOX_HTTP_TIMEOUT_SECONDS="5",
        APPEALS_OUTBOX_LEASE_SECONDS="5",
    )  # fmt: skip


async def test_every_answer_reaches_its_source_exactly_once_across_a_relay_kill(
    db, database_url, tmp_path
):
    api, base = start_api(
        database_url,
        tmp_path,
        APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS=POS_SECRET,
        APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS=IM_SECRET,
    )
    env = app_env(database_url)
    workers: list[Process] = []
    running: list[Process] = [api]
    try:
        pos, pos_url = simulator(
            "feedback-platform", base + "/api/v1/webhooks/feedback-platform", POS_SECRET,
            tmp_path, env,
        )  # fmt: skip
        running.append(pos)
        im, im_url = simulator(
            "incident-management", base + "/api/v1/webhooks/incident-management", IM_SECRET,
            tmp_path, env,
        )  # fmt: skip
        running.append(im)
        admin = await make_key(db, Role.admin)
        async with (
            httpx.AsyncClient(base_url=base, headers=auth(admin), timeout=30) as hub,
            httpx.AsyncClient(timeout=30) as sims,
        ):

            async def pushed() -> bool:
                stats = [(await sims.get(u + "/simulator/stats")).json() for u in (pos_url, im_url)]
                return all(s["done"] for s in stats)

            await until(pushed, "both simulators to push every item")
            await until(lambda: inbox_drained(db), "the pipeline to make their tickets")
            pos_stats = (await sims.get(pos_url + "/simulator/stats")).json()
            # Every push was accepted (repeats and late old snapshots too: 202, no effect).
            for url in (pos_url, im_url):
                responses = (await sims.get(url + "/simulator/stats")).json()["responses"]
                assert set(responses) == {"202"}, responses
            pos_tickets = await all_tickets(hub, "feedback_platform")
            im_tickets = await all_tickets(hub, "incident_management")
            # One ticket per source item, however many deliveries carried it.
            assert sorted(t["source_id"] for t in pos_tickets) == sorted(pos_stats["items"])
            assert len(im_tickets) == ITEMS

            # A moderator declines one item inside ПОС; only the worker's poller can see it.
            declined = pos_tickets[-1]
            r = await sims.post(pos_url + f"/simulator/items/{declined['source_id']}/decline")
            assert r.status_code == 200
            workers.append(worker(database_url, pos_url, im_url, tmp_path, 1))

            async def polled_once() -> bool:
                # More reads than items: the first poll pass is over and committed.
                reads = (await sims.get(pos_url + "/simulator/polls")).json()["reads"]
                return bool(reads > len(pos_tickets))

            await until(polled_once, "a full poll of the open ПОС items")
            r = await hub.get(f"/api/v1/tickets/{declined['id']}")
            assert r.json()["status"] == "rejected"
            assert r.json()["source_status"] == "MODERATION_DECLINE"
            await sims.post(pos_url + "/simulator/control", json={"hold": True})

            tokens: dict[str, str] = {}

            async def answer(ticket: dict, kind: str) -> int:
                dept = ticket["department"]
                if dept not in tokens:
                    tokens[dept] = await make_key(db, Role.operator, dept)
                if kind == "final":
                    await record_sstu_outcome(hub, ticket["id"], auth(tokens[dept]))
                r = await hub.post(
                    f"/api/v1/tickets/{ticket['id']}/answers",
                    json={
                        "text": f"Ответ по обращению {ticket['number']}: работы выполнены.",
                        "kind": kind,
                    },
                    headers=auth(tokens[dept]),
                )
                assert r.status_code == 201, r.text
                assert r.json()["delivery_status"] == "queued"
                return int(r.json()["id"])

            async def open_tickets(source: str) -> list[dict]:
                return [t for t in await all_tickets(hub, source) if t["status"] in OPEN]

            expected: dict[str, set[int]] = {
                "feedback_platform": set(),
                "incident_management": set(),
            }
            first_pos = (await open_tickets("feedback_platform"))[0]
            expected["feedback_platform"].add(await answer(first_pos, "final"))

            async def held() -> bool:
                got = (await sims.get(pos_url + "/simulator/received")).json()
                return got["deliveries"] >= 1

            await until(held, "the first answer to be in flight")
            workers[0].signal(
                signal.SIGKILL
            )  # mid-delivery: ПОС got it, the relay never heard back
            workers[0].proc.wait(timeout=10)
            await sims.post(pos_url + "/simulator/control", json={"hold": False})

            for source in expected:
                for i, ticket in enumerate(await open_tickets(source)):
                    if i % 3 == 0:
                        expected[source].add(await answer(ticket, "interim"))
                    expected[source].add(await answer(ticket, "final"))

            workers.append(worker(database_url, pos_url, im_url, tmp_path, 2))

            async def delivered() -> dict[str, list[dict]] | None:
                got = {
                    "feedback_platform": (await sims.get(pos_url + "/simulator/received")).json(),
                    "incident_management": (await sims.get(im_url + "/simulator/received")).json(),
                }
                for source, ids in expected.items():
                    seen = {a["answer_id"] for a in got[source]["answers"] if a["answer_id"]}
                    if not ids <= seen:
                        return None
                return {s: g["answers"] for s, g in got.items()}

            received = await until(delivered, "every answer at its source")
            for source, ids in expected.items():
                answer_ids = [a["answer_id"] for a in received[source] if a["answer_id"]]
                assert sorted(answer_ids) == sorted(ids), source  # each exactly once

            async def outbox_settled() -> bool:
                r = await hub.get("/api/v1/outbox", params={"limit": 200})
                return all(m["state"] == "sent" for m in r.json()["items"])

            await until(outbox_settled, "every outbox message to be marked sent")
            pos_got = (await sims.get(pos_url + "/simulator/received")).json()
            # The killed delivery was sent again once its claim ran out, and deduplicated by id.
            assert pos_got["duplicates"] >= 1
            assert pos_got["rejected_signatures"] == 0
            r = await hub.get(f"/api/v1/tickets/{first_pos['id']}/answers")
            assert [a["delivery_status"] for a in r.json()] == ["delivered"]
            r = await hub.get(f"/api/v1/tickets/{first_pos['id']}/events")
            attempts = [e["data"] for e in r.json() if e["type"] == "delivery_attempt"]
            assert attempts[-1]["outcome"] == "sent" and attempts[-1]["attempt"] == 2

            # SIGTERM: the worker finishes its pass and exits cleanly.
            assert workers[1].stop() == 0
    finally:
        for proc in [*workers, *reversed(running)]:
            proc.stop()
