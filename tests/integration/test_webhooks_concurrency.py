"""Exactly once on the intake path: concurrent identical deliveries through a real uvicorn
process all get 202 and make one ticket; two pipelines draining one inbox make no ticket twice."""

import asyncio
import itertools

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import func, select

from app.db import Database
from app.intake.pipeline import drain
from app.main import create_app
from app.models.inbound import InboundDelivery
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key
from tests.support.faults import pos_item
from tests.support.intake_http import all_processed
from tests.support.webhooks import (
    IM_URL,
    POS_URL,
    encode,
    sample,
    signed,
    start_webhook_api,
    webhook_settings,
)


@pytest.fixture
def server(database_url, tmp_path):
    """An api whose own pipeline makes the tickets; gone before the next test (whose inbox
    no other pipeline may touch)."""
    proc, base = start_webhook_api(database_url, tmp_path)
    yield base
    proc.stop()


async def count(db, model):
    async with db.sessionmaker() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def sql(db, query: str) -> list[tuple]:
    async with db.sessionmaker() as session:
        return [tuple(r) for r in (await session.exec(text(query))).all()]  # type: ignore[call-overload]


async def burst(base, url, body, headers_for):
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        return await asyncio.gather(
            *(client.post(url, content=body, headers=headers_for(n)) for n in range(20))
        )


async def settled(db, base, responses):
    """Each 202's Location followed until the api's own pipeline finished it."""
    admin = auth(await make_key(db, "admin"))
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await all_processed(client, [r.headers["location"] for r in responses], admin)


async def test_twenty_identical_deliveries_make_one_ticket(server, db):
    body = encode(sample("pos_message.json"))
    headers = signed(body, msg_id="msg_same")
    responses = await burst(server, POS_URL, body, lambda n: headers)
    assert [r.status_code for r in responses] == [202] * 20, [r.text for r in responses]
    answers = [r.json() for r in responses]
    # One delivery stored; the other nineteen are repeats of its webhook-id, answered with it.
    assert sorted(a["outcome"] for a in answers) == ["duplicate"] * 19 + ["received"]
    assert len({a["delivery_id"] for a in answers}) == 1
    assert {r.headers["location"] for r in responses} == {answers[0]["location"]}
    (status,) = (await settled(db, server, responses)).values()
    assert status["status"] == "created" and status["ticket_number"], status
    # A repeat answered after the pipeline ran already named the ticket; none named another.
    assert {a["ticket_id"] for a in answers} <= {None, status["ticket_id"]}
    assert await count(db, Ticket) == 1
    assert await count(db, InboundDelivery) == 20
    outcomes = await sql(db, "SELECT outcome, count(*) FROM inbound_deliveries GROUP BY 1")
    assert dict(outcomes) == {"created": 1, "duplicate": 19}
    # A repeat stored before the ticket was made names no ticket of its own (its status is
    # read through the first delivery); none names another one.
    named = await sql(db, "SELECT DISTINCT ticket_id FROM inbound_deliveries")
    assert {n for (n,) in named} <= {None, status["ticket_id"]}


async def test_twenty_deliveries_of_one_item_under_different_ids(server, db):
    body = encode(sample("im_incident.json"))
    responses = await burst(server, IM_URL, body, lambda n: signed(body, msg_id=f"msg_{n}"))
    assert [r.status_code for r in responses] == [202] * 20, [r.text for r in responses]
    assert [r.json()["outcome"] for r in responses] == ["received"] * 20
    assert len({r.json()["delivery_id"] for r in responses}) == 20
    statuses = list((await settled(db, server, responses)).values())
    assert sorted(s["status"] for s in statuses) == ["created"] + ["unchanged"] * 19
    assert len({s["ticket_id"] for s in statuses}) == 1
    assert await count(db, Ticket) == 1


ITEMS = 6
COPIES = 8  # deliveries of each item, under their own webhook-ids


async def test_two_pipelines_on_one_inbox_make_each_ticket_once(db, database_url):
    """Two drains at once (as two processes run them: own connections) on an inbox where every
    item waits eight times over, interleaved, so their batches contend for the same items."""
    app = create_app(db=db, settings=webhook_settings())  # no lifespan: no pipeline runs here
    items = [pos_item(940_000_000 + n) for n in range(ITEMS)]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for _copy, item in itertools.product(range(COPIES), items):
            body = encode(item)
            r = await client.post(POS_URL, content=body, headers=signed(body))
            assert (r.status_code, r.json()["outcome"]) == (202, "received"), r.text
    assert await count(db, Ticket) == 0
    waiting = ITEMS * COPIES

    other = Database(database_url, db.settings)  # a second pool, like a second process
    try:
        done = await asyncio.gather(drain(db, batch=5), drain(other, batch=5))
    finally:
        await other.dispose()
    assert sum(done) == waiting, done  # each delivery taken by exactly one of them
    assert all(n > 0 for n in done), done  # both really worked the inbox at once

    per_item = await sql(
        db,
        "SELECT source_id, count(*) FROM tickets WHERE source = 'feedback_platform' GROUP BY 1",
    )
    assert sorted(per_item) == sorted((str(i["posId"]), 1) for i in items)
    outcomes = await sql(
        db,
        "SELECT source_item_id, outcome, count(*), min(attempts), max(attempts) "
        "FROM inbound_deliveries GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert outcomes == [
        row
        for i in items
        for row in ((str(i["posId"]), "created", 1, 1, 1), (str(i["posId"]), "unchanged", 7, 1, 1))
    ]
    unmatched = await sql(
        db,
        "SELECT count(*) FROM inbound_deliveries d JOIN tickets t ON t.id = d.ticket_id "
        "WHERE t.source_id <> d.source_item_id OR d.processed_at IS NULL",
    )
    assert unmatched == [(0,)]
