"""kill -9 of the api while a retrying sender pushes distinct signed ПОС items: every delivery
that got a 2xx is stored exactly once, and after the retries every item is stored, once."""

from __future__ import annotations

import asyncio
import signal

from sqlalchemy import text

from tests.support.faults import RetryingSender, pos_item, wait_for
from tests.support.servers import Process, start_api
from tests.support.webhooks import SECRETS

ITEMS = 60
FIRST_ID = 910_000_000


async def rows(db, query: str) -> list[tuple]:
    async with db.sessionmaker() as session:
        return [tuple(r) for r in (await session.exec(text(query))).all()]  # type: ignore[call-overload]


async def test_api_sigkill_under_retrying_sender_stores_each_item_once(db, database_url, tmp_path):
    secrets = {
        "APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS": SECRETS,
        "APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS": SECRETS,
    }
    items = [pos_item(FIRST_ID + i) for i in range(ITEMS)]
    running: list[Process] = []
    try:
        api, base = await asyncio.to_thread(start_api, database_url, tmp_path, **secrets)
        running.append(api)
        sender = RetryingSender(base)
        pushing = asyncio.create_task(sender.run(items, concurrency=6))
        await wait_for(lambda: len(sender.acked) >= ITEMS // 3, "a third of the items acked")
        api.signal(signal.SIGKILL)  # mid-stream: some requests are in flight
        api.proc.wait(timeout=10)
        acked_before_kill = dict(sender.acked)
        api2, base2 = await asyncio.to_thread(start_api, database_url, tmp_path, **secrets)
        running.append(api2)
        sender.base = base2
        await pushing
    finally:
        for proc in running:
            proc.stop()

    assert sender.transport_errors > 0  # the kill really cut deliveries off
    assert sender.statuses() == {202}, {k: v for k, v in sender.answers.items()}
    assert sorted(sender.acked) == sorted(i["posId"] for i in items)
    for pos_id, body in sender.acked.items():
        assert body["outcome"] in {"created", "duplicate"}, (pos_id, body)
        assert body["ticket_id"] is not None

    stored = await rows(
        db,
        "SELECT source_id, count(*), min(id) FROM tickets "
        "WHERE source = 'feedback_platform' GROUP BY source_id",
    )
    per_item = {int(sid): (n, tid) for sid, n, tid in stored}
    assert sorted(per_item) == sorted(sender.acked)  # all stored, nothing else
    assert all(n == 1 for n, _ in per_item.values())  # no duplicates
    for pos_id, body in sender.acked.items():  # the 2xx named the stored ticket
        assert per_item[pos_id][1] == body["ticket_id"]
    for pos_id in acked_before_kill:  # acknowledged before the kill: committed, survived it
        assert pos_id in per_item

    # One stored delivery that created each item; retried ids only ever answered `duplicate`.
    created = await rows(
        db,
        "SELECT source_item_id, count(*) FROM inbound_deliveries "
        "WHERE source = 'feedback_platform' AND outcome = 'created' GROUP BY source_item_id",
    )
    assert len(created) == ITEMS and all(n == 1 for _, n in created)
    per_webhook = await rows(
        db,
        "SELECT webhook_id, count(*) FROM inbound_deliveries "
        "WHERE source = 'feedback_platform' AND outcome <> 'duplicate' GROUP BY webhook_id",
    )
    assert len(per_webhook) == ITEMS and all(n == 1 for _, n in per_webhook)
