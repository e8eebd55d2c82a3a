"""Receipts wake the pipelines without a NOTIFY each (app.intake.wakeup).

A NOTIFY in every receipt serialises the receipts' commits in PostgreSQL; the api process that
stored a delivery wakes its own pipeline at once and announces receipts to the others at most
once per interval. A real api (uvicorn, its lifespan running the pipeline) still makes a
ticket at once, and another api's pipeline, woken by the announcement, makes them when the
receiving api's own pipeline is off.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import asyncpg
import httpx

from app.intake.receipt import NOTIFY_CHANNEL, store_received
from app.intake.wakeup import PipelineWaker
from tests.support.builders import auth, make_key
from tests.support.database import asyncpg_dsn
from tests.support.faults import pos_item
from tests.support.intake_http import processed
from tests.support.servers import start_api
from tests.support.webhooks import POS_URL, SECRETS, encode, signed

SECRETS_ENV = {"APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS": SECRETS}


async def _listener(database_url: str) -> tuple[asyncpg.Connection, list[float]]:
    heard: list[float] = []
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    await conn.add_listener(NOTIFY_CHANNEL, lambda *_: heard.append(time.monotonic()))
    return conn, heard


async def test_many_receipts_make_few_announcements_and_wake_the_local_pipeline(db, database_url):
    listener, heard = await _listener(database_url)
    local = asyncio.Event()
    waker = PipelineWaker(db.engine, local=local, interval=0.05)
    try:
        started = time.monotonic()
        for _ in range(40):  # 40 receipts over ~0.2 s
            waker.poke()
            await asyncio.sleep(0.005)
        await waker.close()
        await asyncio.sleep(0.2)
        assert local.is_set()
        elapsed = time.monotonic() - started
        # The first at once, then at most one per interval (plus the last one's).
        assert 1 <= len(heard) <= elapsed / 0.05 + 2, (len(heard), elapsed)
        assert heard[0] - started < 0.1
    finally:
        await listener.close()


async def test_the_receipt_notifies_only_when_asked(db, database_url):
    listener, heard = await _listener(database_url)

    def receipt(n: int, notify: bool):
        return store_received(
            db.engine,
            source="feedback_platform",
            webhook_id=f"msg_wakeup_{n}",
            item=str(n),
            now=datetime.now(UTC),
            body=json.dumps({"n": n}).encode(),
            headers={},
            notify=notify,
        )

    try:
        assert await receipt(1, notify=False) is not None
        await asyncio.sleep(0.3)
        assert heard == []
        assert await receipt(2, notify=True) is not None
        await asyncio.sleep(0.3)
        assert len(heard) == 1
    finally:
        await listener.close()


async def _made(base: str, admin: dict[str, str], items: list[dict]) -> list[dict]:
    """Each item sent to ``base``, followed to its outcome within 20 s (every pipeline here
    polls once a minute: only a wake-up makes the tickets in time)."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        out = []
        for item in items:
            body = encode(item)
            accepted = await client.post(POS_URL, content=body, headers=signed(body))
            out.append(await processed(client, accepted, admin, limit=20))
        return out


async def test_a_real_api_wakes_its_own_pipeline(db, database_url, tmp_path):
    admin = auth(await make_key(db, "admin"))
    api, base = await asyncio.to_thread(
        start_api, database_url, tmp_path, **SECRETS_ENV, APPEALS_INTAKE_POLL_SECONDS="60"
    )
    try:
        made = await _made(base, admin, [pos_item(930_000_000 + n) for n in range(5)])
    finally:
        api.stop()
    assert [m["status"] for m in made] == ["created"] * 5


async def test_an_api_without_a_pipeline_wakes_another_process(db, database_url, tmp_path):
    admin = auth(await make_key(db, "admin"))
    quiet = {**SECRETS_ENV, "APPEALS_INTAKE_POLL_SECONDS": "60"}
    maker, _ = await asyncio.to_thread(start_api, database_url, tmp_path, **quiet)
    receiver, base = await asyncio.to_thread(
        start_api, database_url, tmp_path, **quiet, APPEALS_INTAKE_IN_API="false"
    )
    try:
        made = await _made(base, admin, [pos_item(931_000_000 + n) for n in range(5)])
    finally:
        receiver.stop()
        maker.stop()
    assert [m["status"] for m in made] == ["created"] * 5
