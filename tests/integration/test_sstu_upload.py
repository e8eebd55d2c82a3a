"""The monthly ССТУ.РФ upload, the whole loop: the month queued through the API, the outbox
relay posting each document to the bundled simulator (the same contract), an injected outage
retried, a refused document dead-lettered and replayed, nothing sent twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import jsonschema_rs
import pytest
from sqlmodel import col, select

from app.config import Settings
from app.connectors.sstu.document import SCHEMA_PATH
from app.models.outbox import OutboxMessage
from app.models.tickets import TicketEvent
from app.tools.simulators import sstu as simulator
from app.workers.relay import Relay
from tests.support.builders import auth, make_key
from tests.support.sstu_month import MONTH, local, make_month

TOKEN = "sstu-test-token"
VALIDATOR = jsonschema_rs.validator_for(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def relay_settings() -> Settings:
    return Settings(  # type: ignore[call-arg]
        sstu_url="http://sstu.test",
        sstu_token=TOKEN,
        outbox_max_attempts=3,
        outbox_backoff_base_seconds=10.0,
        outbox_backoff_cap_seconds=600.0,
        outbox_http_timeout_seconds=5.0,
    )


async def sstu_messages(db) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.target == "sstu")
            .order_by(col(OutboxMessage.id))
        )
        return list(rows.all())


async def upload(client, token) -> dict:  # type: ignore[no-untyped-def]
    r = await client.post(
        "/api/v1/reports/sstu/uploads", params={"month": MONTH}, headers=auth(token)
    )
    assert r.status_code == 202, r.text
    return r.json()


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    app, inbox = simulator.build_app(token=TOKEN)
    return httpx.ASGITransport(app=app), inbox


async def test_month_reaches_the_simulator_through_an_outage(app, client, db, sim):
    transport, inbox = sim
    admin = await make_key(db, "admin")
    appeals = await make_month(app, client, db, admin)
    in_month = {a.number for a in appeals if a.expect}

    assert await upload(client, admin) == {"month": MONTH, "documents": 9, "queued": 9}
    inbox.fail_next, inbox.fail_status, inbox.retry_after = 2, 503, "1"
    relay = Relay(db, settings=relay_settings(), transport=transport)
    now = datetime.now(UTC) + timedelta(minutes=1)
    try:
        assert await relay.run_once(now) == 9
        states = [m.state for m in await sstu_messages(db)]
        assert states.count("pending") == 2 and states.count("sent") == 7
        assert await relay.run_once(now + timedelta(seconds=30)) == 2
    finally:
        await relay.aclose()

    messages = await sstu_messages(db)
    assert all(m.state == "sent" for m in messages)
    assert sorted(m.attempts for m in messages) == [1] * 7 + [2] * 2
    received = inbox.received()
    assert received["deliveries"] == 9 and received["duplicates"] == 0
    assert received["unauthorized"] == 0 and received["refused"] == []
    documents = received["months"][MONTH]
    assert {d["number"] for d in documents} == in_month
    for document in documents:
        document.pop("_received_at")
        assert [e.message for e in VALIDATOR.iter_errors(document)] == []
        # The applicant's name was added as it was sent (the profile asks for name and
        # address; this applicant gave no postal address), never stored in the outbox.
        assert document["name"] == "Петрова Ольга Игоревна" and "address" not in document
    assert all("name" not in m.payload["document"] for m in messages)

    retried = next(m for m in messages if m.attempts == 2)
    async with db.sessionmaker() as session:
        events = await session.exec(
            select(TicketEvent)
            .where(
                TicketEvent.ticket_id == retried.ticket_id, TicketEvent.type == "delivery_attempt"
            )
            .order_by(col(TicketEvent.id))  # the timeline's order, not the heap's
        )
        outcomes = [(e.data["target"], e.data["outcome"]) for e in events.all()]
    assert outcomes == [("sstu", "retry"), ("sstu", "sent")]

    # Unchanged documents are not queued again.
    assert (await upload(client, admin))["queued"] == 0


async def test_a_refused_document_is_a_dead_letter_until_replayed(app, client, db, sim):
    transport, inbox = sim
    admin = await make_key(db, "admin")
    appeals = await make_month(app, client, db, admin)
    await upload(client, admin)
    relay = Relay(db, settings=relay_settings(), transport=transport)
    # The replay is due at the API's now; the correction is uploaded once November is over.
    now = max(datetime.now(UTC), local("2026-12-05")) + timedelta(minutes=1)
    app.state.clock = lambda: now
    try:
        await relay.run_once(now)
        # A correction after the upload: the appeal's document changes, one message is queued.
        heating = next(a for a in appeals if a.key == "heating")
        r = await client.put(
            f"/api/v1/tickets/{heating.ticket_id}/sstu",
            json={
                "questions": [
                    {"code": "0005.0005.0056.1156", "status": "Supported", "actions_taken": True}
                ]
            },
            headers=auth(admin),
        )
        assert r.status_code == 200, r.text
        assert (await upload(client, admin))["queued"] == 1
        inbox.fail_next, inbox.fail_status = 1, 400  # the receiver refuses it once
        assert await relay.run_once(now + timedelta(minutes=1)) == 1
        [dead] = [m for m in await sstu_messages(db) if m.state == "dead"]
        assert dead.ticket_id == heating.ticket_id and dead.last_status_code == 400
        replay = await client.post(f"/api/v1/outbox/{dead.id}/replay", headers=auth(admin))
        assert replay.status_code == 200, replay.text
        assert await relay.run_once(now + timedelta(minutes=2)) == 1
    finally:
        await relay.aclose()
    assert all(m.state == "sent" for m in await sstu_messages(db))
    [document] = [d for d in inbox.received()["months"][MONTH] if d["number"] == heating.number]
    assert document["questions"][0]["status"] == "Supported"
    assert document["questions"][0]["actionsTaken"] is True
    # A correction keeps the date the appeal was decided (November), not the day it was made.
    assert document["questions"][0]["responseDate"] == "2026-11-10"


async def test_without_a_token_the_simulator_refuses(app, client, db, sim):
    transport, inbox = sim
    admin = await make_key(db, "admin")
    await make_month(app, client, db, admin)
    await upload(client, admin)
    settings = relay_settings()
    settings.sstu_token = None
    relay = Relay(db, settings=settings, transport=transport)
    try:
        await relay.run_once(datetime.now(UTC) + timedelta(minutes=1))
    finally:
        await relay.aclose()
    assert inbox.unauthorized == 9
    assert {m.state for m in await sstu_messages(db)} == {"dead"}  # 401: a permanent refusal
