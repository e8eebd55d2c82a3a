"""kill -9 of an api between its 202s and the tickets: a retrying sender pushes distinct signed
ПОС items to an api whose pipeline is off (every 202 is stored, no ticket made yet), the api is
SIGKILLed mid-stream, and another process — an api with its pipeline on, or a worker — makes
every acknowledged delivery's ticket, exactly once; the retries never store anything twice."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.metrics import store as metrics_store
from tests.support.builders import auth, make_key
from tests.support.faults import RetryingSender, pos_item, wait_for
from tests.support.intake_http import all_processed
from tests.support.servers import Process, app_env, start_api
from tests.support.webhooks import SECRETS

ITEMS = 60
FIRST_ID = 910_000_000
SECRETS_ENV = {
    "APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS": SECRETS,
    "APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS": SECRETS,
}
NO_PIPELINE = {"APPEALS_INTAKE_IN_API": "false"}


async def rows(db, query: str) -> list[tuple]:
    async with db.sessionmaker() as session:
        return [tuple(r) for r in (await session.exec(text(query))).all()]  # type: ignore[call-overload]


async def series(db, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    async with db.sessionmaker() as session:
        return {
            tuple(sorted(labels.items())): v
            for n, labels, v in await metrics_store.read_all(session)
            if n == name
        }


def intake_worker(database_url: str, tmp_path: Path) -> Process:
    """``appeals worker --loop intake``: only the pipeline."""
    args = [sys.executable, "-c", "from app.cli.root import main; main()", "worker"]
    env = app_env(database_url, APPEALS_INTAKE_POLL_SECONDS="0.2")
    return Process([*args, "--loop", "intake"], env, tmp_path / "worker.log")


@pytest.mark.parametrize("rescuer", ["api", "worker"])
async def test_api_sigkill_between_202_and_ticket_another_process_makes_each_once(
    db, database_url, tmp_path, rescuer
):
    items = [pos_item(FIRST_ID + i) for i in range(ITEMS)]
    admin = auth(await make_key(db, "admin"))
    running: list[Process] = []
    try:
        api, base = await asyncio.to_thread(
            start_api, database_url, tmp_path, **SECRETS_ENV, **NO_PIPELINE
        )
        running.append(api)
        sender = RetryingSender(base)
        pushing = asyncio.create_task(sender.run(items, concurrency=6))
        await wait_for(lambda: len(sender.acked) >= ITEMS // 3, "a third of the items acked")
        api.signal(signal.SIGKILL)  # mid-stream: some requests are in flight
        api.proc.wait(timeout=10)
        acked_before_kill = dict(sender.acked)

        # Each 202 it gave is stored and waiting: the kill fell between the 202s and tickets.
        assert await rows(db, "SELECT count(*) FROM tickets") == [(0,)]
        waiting = await rows(db, "SELECT id FROM inbound_deliveries WHERE outcome = 'received'")
        stored = {delivery_id for (delivery_id,) in waiting}
        assert {a["delivery_id"] for a in acked_before_kill.values()} <= stored

        # The sender goes on against another api; the tickets are made by the rescuer.
        second = {} if rescuer == "api" else NO_PIPELINE
        api2, base2 = await asyncio.to_thread(
            start_api, database_url, tmp_path, **SECRETS_ENV, **second
        )
        running.append(api2)
        if rescuer == "worker":
            running.append(intake_worker(database_url, tmp_path))
        sender.base = base2
        await pushing
        async with httpx.AsyncClient(base_url=base2, timeout=30) as client:
            locations = {pos_id: body["location"] for pos_id, body in sender.acked.items()}
            made = await all_processed(client, locations.values(), admin, limit=120)
    finally:
        for proc in running:
            proc.stop()

    assert sender.transport_errors > 0  # the kill really cut deliveries off
    assert sender.statuses() == {202}, {k: v for k, v in sender.answers.items()}
    assert sorted(sender.acked) == sorted(i["posId"] for i in items)
    for pos_id, body in sender.acked.items():
        assert body["outcome"] in {"received", "duplicate"}, (pos_id, body)
        assert body["location"] == f"/api/v1/deliveries/{body['delivery_id']}"

    stored_tickets = await rows(
        db,
        "SELECT source_id, count(*), min(id), min(number) FROM tickets "
        "WHERE source = 'feedback_platform' GROUP BY source_id",
    )
    per_item = {int(sid): (n, tid, number) for sid, n, tid, number in stored_tickets}
    assert sorted(per_item) == sorted(sender.acked)  # all made, nothing else
    assert all(n == 1 for n, _, _ in per_item.values())  # no duplicates
    for pos_id, location in locations.items():  # the Location names the ticket made
        status = made[location]
        assert status["status"] == "created", (pos_id, status)
        assert (status["ticket_id"], status["ticket_number"]) == per_item[pos_id][1:]
    for pos_id in acked_before_kill:  # acknowledged before the kill: survived it, made once
        assert pos_id in per_item

    # One stored delivery per webhook-id (a retry of a stored one is only ever a duplicate),
    # each made into its item's ticket exactly once; nothing is left waiting.
    created = await rows(
        db,
        "SELECT source_item_id, count(*) FROM inbound_deliveries "
        "WHERE source = 'feedback_platform' AND outcome = 'created' GROUP BY source_item_id",
    )
    assert len(created) == ITEMS and all(n == 1 for _, n in created)
    per_webhook = await rows(
        db,
        "SELECT webhook_id, count(*), min(outcome) FROM inbound_deliveries "
        "WHERE source = 'feedback_platform' AND outcome <> 'duplicate' GROUP BY webhook_id",
    )
    assert len(per_webhook) == ITEMS and all(row[1:] == (1, "created") for row in per_webhook)
    # Counted exactly too: once at receipt, once by the pipeline, whatever process did it.
    received = await series(db, "appeals_webhook_deliveries_total")
    assert received.get((("outcome", "received"), ("source", "feedback_platform"))) == ITEMS
    intake = await series(db, "appeals_intake_items_total")
    assert intake == {
        (("kind", "webhook"), ("outcome", "created"), ("source", "feedback_platform")): ITEMS
    }
