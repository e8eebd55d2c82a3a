import contextlib
import json

import asyncpg
import httpx
import pytest
from sqlmodel import col, func, select

from app.intake import connector_health
from app.main import create_app
from app.metrics import store as metrics_store
from app.models.inbound import InboundDelivery
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key
from tests.support.intake import processed, settling
from tests.support.webhooks import (
    IM_URL,
    POS_URL,
    PROBLEM,
    encode,
    sample,
    signed,
    webhook_settings,
)


@pytest.fixture
async def hooks(db):
    app = create_app(db=db, settings=webhook_settings(webhook_max_body_bytes=4096))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks=settling(db)
    ) as c:
        yield c


async def post(client, url, payload, **kw):
    body = payload if isinstance(payload, bytes) else encode(payload)
    return await client.post(url, content=body, headers=signed(body, **kw))


async def tickets_count(db):
    async with db.sessionmaker() as session:
        return (await session.exec(select(func.count()).select_from(Ticket))).one()


async def deliveries(db):
    async with db.sessionmaker() as session:
        rows = await session.exec(select(InboundDelivery).order_by(col(InboundDelivery.id)))
        return list(rows.all())


async def series(db, name):
    async with db.sessionmaker() as session:
        return {
            tuple(sorted(labels.items())): v
            for n, labels, v in await metrics_store.read_all(session)
            if n == name
        }


class TestAccepted:
    async def test_202_means_committed_with_a_location(self, db):
        # No pipeline runs here: the 202 alone must leave the delivery stored, waiting.
        app = create_app(db=db, settings=webhook_settings())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await post(client, IM_URL, sample("im_incident.json"), msg_id="msg_committed")
            assert r.status_code == 202, r.text
            body = r.json()
            assert body["outcome"] == "received" and body["ticket_id"] is None
            assert r.headers["location"] == body["location"]
            assert body["location"] == f"/api/v1/deliveries/{body['delivery_id']}"
            # A separate connection sees the archived delivery at once; no ticket yet.
            async with db.sessionmaker() as session:
                delivery = await session.get(InboundDelivery, body["delivery_id"])
            assert delivery is not None and delivery.outcome == "received"
            assert delivery.webhook_id == "msg_committed"
            assert delivery.body == encode(sample("im_incident.json"))
            assert "webhook-signature" not in delivery.headers
            assert delivery.headers["webhook-id"] == "msg_committed"
            assert await tickets_count(db) == 0
            integration = auth(await make_key(db, "integration", "roads"))
            waiting = await client.get(body["location"], headers=integration)
            assert waiting.status_code == 200, waiting.text
            assert waiting.json()["status"] == "received"
            assert waiting.json()["ticket_number"] is None
            done = await processed(db, r)
            status = await client.get(body["location"], headers=integration)
        assert status.json() == done
        assert done["status"] == "created" and done["kind"] == "webhook"
        assert done["processed_at"] is not None
        async with db.sessionmaker() as session:
            ticket = await session.get(Ticket, done["ticket_id"])
        assert ticket is not None and ticket.number == done["ticket_number"]
        assert ticket.category_code == "roads" and ticket.priority == "high"
        # The ticket was received when the delivery was, not when the pipeline ran.
        assert ticket.received_at == delivery.received_at

    async def test_delivery_status_is_for_senders_and_admins(self, hooks, db):
        r = await post(hooks, IM_URL, sample("im_incident.json"))
        operator = auth(await make_key(db, "operator", "roads"))
        assert (await hooks.get(r.json()["location"], headers=operator)).status_code == 403
        assert (await hooks.get(r.json()["location"])).status_code == 401
        admin = auth(await make_key(db, "admin"))
        missing = await hooks.get("/api/v1/deliveries/999999", headers=admin)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == PROBLEM

    async def test_repeated_webhook_id_has_no_second_effect(self, hooks, db):
        payload = sample("pos_message.json")
        first = await post(hooks, POS_URL, payload, msg_id="msg_1")
        again = await post(hooks, POS_URL, payload, msg_id="msg_1")
        assert (first.status_code, again.status_code) == (202, 202)
        made = await processed(db, first)
        assert again.json()["outcome"] == "duplicate"
        assert again.json()["delivery_id"] == first.json()["delivery_id"]
        assert again.json()["ticket_id"] == made["ticket_id"]
        assert again.json()["ticket_number"] == made["ticket_number"]
        assert await tickets_count(db) == 1
        assert [d.outcome for d in await deliveries(db)] == ["created", "duplicate"]

    async def test_same_item_under_new_id_is_unchanged(self, hooks, db):
        payload = sample("pos_message.json")
        await post(hooks, POS_URL, payload)
        r = await post(hooks, POS_URL, payload)
        assert r.status_code == 202
        assert (await processed(db, r))["status"] == "unchanged"
        assert await tickets_count(db) == 1

    async def test_update_then_late_old_snapshot(self, hooks, db):
        old = sample("im_incident.json")
        newer = old | {
            "status": "in_progress",
            "updated_at": "2026-11-19T11:00:00+10:00",
            "text": old["text"] + ". Обновление: светофор мигает жёлтым",
        }
        created = await post(hooks, IM_URL, old)
        updated = await post(hooks, IM_URL, newer)
        late = await post(hooks, IM_URL, old)
        outcomes = [await processed(db, r) for r in (created, updated, late)]
        assert [o["status"] for o in outcomes] == ["created", "updated", "stale"]
        async with db.sessionmaker() as session:
            ticket = await session.get(Ticket, outcomes[0]["ticket_id"])
        assert ticket is not None
        assert ticket.status == "in_progress"
        assert ticket.text.endswith("мигает жёлтым")

    async def test_metrics_and_health(self, hooks, db):
        await post(hooks, IM_URL, sample("im_incident.json"))
        await post(hooks, IM_URL, sample("im_incident.json"))
        await post(hooks, IM_URL, {"text": "нет ничего"})
        await post(hooks, IM_URL, sample("im_incident.json"), secret="whsec_d3Jvbmc=")
        counts = await series(db, "appeals_webhook_deliveries_total")
        src = ("source", "incident_management")
        assert counts == {
            (("outcome", "received"), src): 2,
            (("outcome", "invalid"), src): 1,
            (("outcome", "signature"), src): 1,
        }
        items = await series(db, "appeals_intake_items_total")
        hook = ("kind", "webhook")
        assert items == {
            (hook, ("outcome", "created"), src): 1,
            (hook, ("outcome", "unchanged"), src): 1,
        }
        latency = await series(db, "appeals_intake_latency_seconds_count")
        assert latency == {(src,): 2}
        received = await series(db, "appeals_tickets_received_total")
        assert received == {(("channel", "vk"), ("source", "incident_management")): 1}
        async with db.sessionmaker() as session:
            (health,) = await connector_health.all_health(session)
        assert health.last_success_at is not None
        assert health.failures == {"invalid": 1, "signature": 1}


class TestRefused:
    async def test_too_large_is_413(self, hooks, db):
        payload = sample("im_incident.json") | {"text": "Я" * 5000}
        r = await post(hooks, IM_URL, payload)
        assert r.status_code == 413
        assert r.headers["content-type"] == PROBLEM
        assert await deliveries(db) == []

    async def test_no_api_key_needed_but_a_signature_is(self, hooks):
        body = encode(sample("im_incident.json"))
        r = await hooks.post(IM_URL, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 401
        assert r.headers["content-type"] == PROBLEM
        assert r.json()["type"].endswith("/invalid-signature")


class TestQuarantine:
    async def test_invalid_is_422_quarantined_then_replayed(self, hooks, db):
        broken = {k: v for k, v in sample("pos_message.json").items() if k != "description"}
        r = await post(hooks, POS_URL, broken, msg_id="msg_broken")
        assert r.status_code == 422
        assert r.headers["content-type"] == PROBLEM
        problem = r.json()
        assert "description" in {e["field"] for e in problem["errors"]}
        delivery_id = problem["delivery_id"]
        assert await tickets_count(db) == 0

        # The source retries the same delivery: still 422, still one quarantined row.
        retry = await post(hooks, POS_URL, broken, msg_id="msg_broken")
        assert retry.status_code == 422

        admin = auth(await make_key(db, "admin"))
        listed = await hooks.get("/api/v1/quarantine", headers=admin)
        assert listed.status_code == 200
        (item,) = listed.json()["items"]
        assert item["id"] == delivery_id
        # The body as sent, personal data masked (tests/api/test_quarantine_privacy.py).
        assert json.loads(item["body"])["posId"] == broken["posId"]
        assert broken["applicant"]["surname"] not in item["body"]
        assert item["webhook_id"] == "msg_broken"

        unfixed = await hooks.post(f"/api/v1/quarantine/{delivery_id}/replay", headers=admin)
        assert unfixed.status_code == 422

        fixed = broken | {"description": "Во дворе не вывозят мусор (текст восстановлен)"}
        replayed = await hooks.post(
            f"/api/v1/quarantine/{delivery_id}/replay", headers=admin, json={"body": fixed}
        )
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["outcome"] == "created"
        assert await tickets_count(db) == 1
        # The sender following its Location sees what the replay made.
        status = (await hooks.get(f"/api/v1/deliveries/{delivery_id}", headers=admin)).json()
        assert status["status"] == "created"
        assert status["ticket_number"] == replayed.json()["ticket_number"]
        assert status["processed_at"] is not None
        listed = await hooks.get("/api/v1/quarantine", headers=admin)
        assert listed.json()["items"] == []
        again = await hooks.post(f"/api/v1/quarantine/{delivery_id}/replay", headers=admin)
        assert again.status_code == 409
        # Now the source's retry is answered like an accepted delivery, with the ticket.
        late_retry = await post(hooks, POS_URL, broken, msg_id="msg_broken")
        assert late_retry.status_code == 202
        assert late_retry.json()["outcome"] == "duplicate"
        assert late_retry.json()["ticket_id"] == replayed.json()["ticket_id"]

    async def test_quarantine_is_for_admins(self, hooks, db):
        operator = auth(await make_key(db, "operator", "roads"))
        r = await hooks.get("/api/v1/quarantine", headers=operator)
        assert r.status_code == 403

    async def test_pagination(self, hooks, db):
        for n in range(3):
            await post(hooks, IM_URL, {"n": n})
        admin = auth(await make_key(db, "admin"))
        first = await hooks.get("/api/v1/quarantine?limit=2", headers=admin)
        page = first.json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        second = await hooks.get(
            "/api/v1/quarantine", params={"limit": 2, "cursor": page["next_cursor"]}, headers=admin
        )
        assert len(second.json()["items"]) == 1
        assert second.json()["next_cursor"] is None


async def test_trailing_slash_is_served_not_redirected(hooks):
    body = encode(sample("im_incident.json"))
    r = await hooks.post(IM_URL + "/", content=body, headers=signed(body))
    assert r.status_code == 202


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("connection is closed"),  # the server ended the connection
    ],
    ids=["lost-mid-statement", "closed-by-server"],
)
async def test_a_failed_receipt_is_never_acknowledged(db, monkeypatch, error):
    """The receipt is one statement: when the connection breaks under it, the sender gets a
    503 to retry, and nothing was stored."""
    from app.intake import receipt

    @contextlib.asynccontextmanager
    async def broken(engine):
        class Lost:
            async def fetchrow(self, *args):
                raise error

        yield Lost()

    monkeypatch.setattr(receipt, "driver_connection", broken)
    app = create_app(db=db, settings=webhook_settings())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    body = encode(sample("im_incident.json"))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post(IM_URL, content=body, headers=signed(body))
    assert r.status_code == 503
    assert r.headers["retry-after"]
    assert r.headers["content-type"] == PROBLEM
    assert await tickets_count(db) == 0
    assert await deliveries(db) == []


async def test_the_receipt_is_one_round_trip(db):
    """What the sender waits for: one statement stores, counts and wakes the pipeline (the
    connector's health row, written by its first delivery ever, aside)."""
    from sqlalchemy import event

    app = create_app(db=db, settings=webhook_settings())
    transport = httpx.ASGITransport(app=app)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await post(client, IM_URL, sample("im_incident.json"))  # the health row is made
        event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        try:
            second = await post(client, IM_URL, sample("im_incident.json"))
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert second.status_code == 202
    assert statements == []  # no SQLAlchemy statement: the receipt went as one driver call
    async with db.sessionmaker() as session:
        rows = await session.exec(select(InboundDelivery))
        assert [d.outcome for d in rows.all()] == ["received", "received"]
    counts = await series(db, "appeals_webhook_deliveries_total")
    assert counts == {(("outcome", "received"), ("source", "incident_management")): 2}


@pytest.mark.parametrize(("offset", "status"), [(-301, 401), (301, 401), (-300, 202), (300, 202)])
async def test_timestamp_tolerance_edges_with_a_frozen_clock(db, offset, status):
    from datetime import UTC, datetime, timedelta

    frozen = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    app = create_app(db=db, settings=webhook_settings())
    app.state.clock = lambda: frozen
    body = encode(sample("im_incident.json"))
    headers = signed(body, at=frozen + timedelta(seconds=offset))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post(IM_URL, content=body, headers=headers)
    assert r.status_code == status, r.text
    if status == 401:
        assert r.headers["content-type"] == PROBLEM
