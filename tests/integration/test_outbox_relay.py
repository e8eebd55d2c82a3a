"""The outbox relay on real PostgreSQL, with the source played by httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from sqlmodel import col, select

from app.config import Settings
from app.connectors.base import verify_standard_webhook
from app.metrics import store as metrics_store
from app.models.outbox import OutboxMessage
from app.models.tickets import TicketAnswer, TicketEvent
from app.outbox import service as outbox
from app.outbox.policy import Outcome
from app.outbox.service import AttemptResult
from app.workers.relay import Relay
from tests.support.builders import auth, make_key, make_ticket

SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
BASE = "http://pos.test"


@pytest.fixture
def now() -> datetime:
    """A pass time a little after the messages were enqueued (they are due at enqueue)."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "feedback_platform_url": BASE,
        "incident_management_url": "http://im.test",
        "feedback_platform_outbound_secret": SECRET,
        "outbox_backoff_base_seconds": 10.0,
        "outbox_backoff_cap_seconds": 600.0,
        "outbox_max_attempts": 3,
        "outbox_lease_seconds": 60.0,
        "outbox_http_timeout_seconds": 5.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


class FakeSource:
    """Answers with a scripted status per call and records every request."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.responses:
            return self.responses.pop(0)
        return httpx.Response(200, json={"ok": True})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


async def pos_ticket(db, **overrides):  # type: ignore[no-untyped-def]
    fields = {
        "source": "feedback_platform",
        "source_id": "563007235",
        "kind": "pos_message",
        "channel": "gosuslugi",
        "category_code": "waste",
    }
    fields.update(overrides)
    return await make_ticket(db, **fields)


async def answer(client, db, ticket, *, kind: str = "final") -> dict:  # type: ignore[no-untyped-def]
    token = await make_key(db, "admin")
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/answers",
        json={"text": "Контейнеры вывезены, площадка убрана.", "kind": kind},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def messages(db) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    async with db.sessionmaker() as session:
        rows = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return list(rows.all())


async def timeline(db, ticket_id: int, type_: str) -> list[dict]:  # type: ignore[no-untyped-def]
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type == type_)
            .order_by(col(TicketEvent.id))
        )
        return [e.data for e in rows.all()]


async def answer_status(db, answer_id: int) -> str:  # type: ignore[no-untyped-def]
    async with db.sessionmaker() as session:
        row = await session.get(TicketAnswer, answer_id)
        assert row is not None
        return row.delivery_status


class TestEnqueueOnTicketWork:
    async def test_answer_is_queued_in_the_same_transaction(self, client, db):
        ticket = await pos_ticket(db)
        body = await answer(client, db, ticket)
        assert body["delivery_status"] == "queued"
        [message] = await messages(db)
        assert (message.target, message.kind, message.state) == (
            "feedback_platform",
            "answer",
            "pending",
        )
        assert message.ticket_id == ticket.id and message.answer_id == body["id"]
        assert message.payload["source_id"] == "563007235"
        assert message.payload["text"] == "Контейнеры вывезены, площадка убрана."

    async def test_interim_answer_has_its_own_kind(self, client, db):
        ticket = await pos_ticket(db)
        await answer(client, db, ticket, kind="interim")
        [message] = await messages(db)
        assert message.kind == "interim_answer"

    async def test_tickets_without_a_return_channel_queue_nothing(self, client, db):
        ticket = await make_ticket(db)  # source api
        body = await answer(client, db, ticket)
        assert body["delivery_status"] == "stored"
        assert await messages(db) == []

    async def test_rejection_goes_back_with_reason_and_addressee(self, client, db):
        ticket = await pos_ticket(db)
        token = await make_key(db, "admin")
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/transitions",
            json={"to": "rejected", "reason": "Не относится к компетенции", "redirect_to": "МЧС"},
            headers=auth(token),
        )
        assert r.status_code == 200, r.text
        [message] = await messages(db)
        assert message.kind == "status"
        assert message.payload["source_status"] == "FORWARD_TO_PARENT"
        assert message.payload["reason"] == "Не относится к компетенции"
        assert message.payload["redirect_to"] == "МЧС"

    async def test_same_idempotency_id_is_one_message(self, db):
        ticket = await pos_ticket(db)
        async with db.sessionmaker() as session:
            first = await outbox.enqueue(
                session,
                target="department_webhook",
                kind="sla_notification",
                payload={"x": 1},
                ticket=ticket,
                idempotency_id="sla-1",
            )
            again = await outbox.enqueue(
                session,
                target="department_webhook",
                kind="sla_notification",
                payload={"x": 2},
                ticket=ticket,
                idempotency_id="sla-1",
            )
            await session.commit()
        assert first.id == again.id
        assert len(await messages(db)) == 1


class TestDelivery:
    async def test_delivered_signed_with_stable_id_and_recorded(self, now, client, db):
        ticket = await pos_ticket(db)
        body = await answer(client, db, ticket)
        source = FakeSource()
        relay = Relay(db, settings=settings(), transport=source.transport())
        assert await relay.run_once(now) == 1
        [request] = source.requests
        [message] = await messages(db)
        assert str(request.url) == (
            f"{BASE}/appeal-service/external-appeal-system/appeals/563007235/responses"
        )
        assert request.headers["Idempotency-Key"] == message.idempotency_id
        assert request.headers["webhook-id"] == message.idempotency_id
        verify_standard_webhook(
            request.content, dict(request.headers), secrets=[SECRET], now=datetime.now(UTC)
        )
        sent = json.loads(request.content)
        assert sent["type"] == "answer" and sent["data"]["answer_id"] == body["id"]
        assert message.state == "sent" and message.attempts == 1 and message.sent_at == now
        assert await answer_status(db, body["id"]) == "delivered"
        [event] = await timeline(db, ticket.id, "delivery_attempt")
        assert event["outcome"] == "sent" and event["status_code"] == 200
        assert event["attempt"] == 1
        async with db.sessionmaker() as session:
            series = {
                (n, tuple(sorted(lb.items()))): v
                for n, lb, v in await metrics_store.read_all(session)
            }
        key = (
            "appeals_outbox_deliveries_total",
            (("outcome", "sent"), ("target", "feedback_platform")),
        )
        assert series[key] == 1.0
        # Nothing is due any more: a second pass sends nothing.
        assert await relay.run_once(now + timedelta(hours=1)) == 0
        assert len(source.requests) == 1

    async def test_503_with_retry_after_is_honoured(self, now, client, db):
        ticket = await pos_ticket(db)
        body = await answer(client, db, ticket)
        source = FakeSource(httpx.Response(503, headers={"Retry-After": "120"}))
        relay = Relay(db, settings=settings(), transport=source.transport())
        await relay.run_once(now)
        [message] = await messages(db)
        assert message.state == "pending"
        assert message.next_attempt_at == now + timedelta(seconds=120)
        assert await answer_status(db, body["id"]) == "retrying"
        assert await relay.run_once(now + timedelta(seconds=119)) == 0
        assert await relay.run_once(now + timedelta(seconds=120)) == 1
        [message] = await messages(db)
        assert message.state == "sent" and message.attempts == 2
        outcomes = [e["outcome"] for e in await timeline(db, ticket.id, "delivery_attempt")]
        assert outcomes == ["retry", "sent"]
        # The same message id both times: the source can deduplicate.
        assert len({r.headers["webhook-id"] for r in source.requests}) == 1

    async def test_429_with_http_date_retry_after(self, now, client, db):
        ticket = await pos_ticket(db)
        await answer(client, db, ticket)
        when = format_datetime(now + timedelta(minutes=5), usegmt=True)
        source = FakeSource(httpx.Response(429, headers={"Retry-After": when}))
        await Relay(db, settings=settings(), transport=source.transport()).run_once(now)
        [message] = await messages(db)
        assert message.state == "pending"
        assert message.next_attempt_at == now + timedelta(minutes=5)

    async def test_5xx_backs_off_exponentially_with_jitter(self, now, client, db):
        ticket = await pos_ticket(db)
        await answer(client, db, ticket)
        source = FakeSource(httpx.Response(500), httpx.Response(502))
        relay = Relay(db, settings=settings(outbox_max_attempts=5), transport=source.transport())
        await relay.run_once(now)
        [m1] = await messages(db)
        first = (m1.next_attempt_at - now).total_seconds()
        assert 5.0 <= first <= 10.0  # attempt 1: base 10 s, half fixed, half jitter
        await relay.run_once(m1.next_attempt_at)
        [m2] = await messages(db)
        second = (m2.next_attempt_at - m1.next_attempt_at).total_seconds()
        assert 10.0 <= second <= 20.0  # attempt 2: doubled
        assert m2.last_error == "HTTP 502"

    async def test_other_4xx_is_dead_at_once_then_replayed(self, now, client, db):
        ticket = await pos_ticket(db)
        body = await answer(client, db, ticket)
        source = FakeSource(httpx.Response(400, json={"error": "unknown posId"}))
        relay = Relay(db, settings=settings(), transport=source.transport())
        await relay.run_once(now)
        [message] = await messages(db)
        assert message.state == "dead" and message.attempts == 1
        assert message.last_status_code == 400
        assert await answer_status(db, body["id"]) == "failed"
        admin = await make_key(db, "admin")
        r = await client.get("/api/v1/outbox", params={"state": "dead"}, headers=auth(admin))
        assert [m["id"] for m in r.json()["items"]] == [message.id]
        r = await client.post(f"/api/v1/outbox/{message.id}/replay", headers=auth(admin))
        assert r.status_code == 200 and r.json()["state"] == "pending"
        assert await answer_status(db, body["id"]) == "queued"
        await relay.run_once(datetime.now(UTC) + timedelta(seconds=1))
        [message] = await messages(db)
        assert message.state == "sent"
        assert [r.headers["webhook-id"] for r in source.requests] == [message.idempotency_id] * 2
        assert len(await timeline(db, ticket.id, "delivery_replayed")) == 1

    async def test_max_attempts_ends_dead(self, now, client, db):
        ticket = await pos_ticket(db)
        await answer(client, db, ticket)
        source = FakeSource(*[httpx.Response(500)] * 5)
        relay = Relay(db, settings=settings(outbox_max_attempts=3), transport=source.transport())
        at = now
        for _ in range(3):
            await relay.run_once(at)
            [message] = await messages(db)
            at = message.next_attempt_at
        assert message.state == "dead" and message.attempts == 3
        assert "gave up after 3 attempts" in (message.last_error or "")
        assert len(source.requests) == 3

    async def test_network_failure_is_retried(self, now, client, db):
        ticket = await pos_ticket(db)
        await answer(client, db, ticket)

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        await Relay(db, settings=settings(), transport=httpx.MockTransport(refuse)).run_once(now)
        [message] = await messages(db)
        assert message.state == "pending" and message.last_error == "network"

    async def test_no_destination_configured_is_dead(self, now, client, db):
        ticket = await pos_ticket(db)
        await answer(client, db, ticket)
        source = FakeSource()
        relay = Relay(
            db, settings=settings(feedback_platform_url=None), transport=source.transport()
        )
        await relay.run_once(now)
        [message] = await messages(db)
        assert message.state == "dead" and message.last_error == "no destination URL"
        assert source.requests == []

    async def test_department_webhook_goes_to_the_departments_url(self, now, db):
        ticket = await pos_ticket(db)
        async with db.sessionmaker() as session:
            from app.models.directory import Department

            department = await session.get(Department, ticket.department_code)
            assert department is not None
            department.webhook_url = "http://dept.test/hooks/sla"
            await session.commit()
            await outbox.enqueue(
                session,
                target="department_webhook",
                kind="sla_notification",
                payload={"event": "breached"},
                ticket=ticket,
            )
            await session.commit()
        source = FakeSource()
        await Relay(db, settings=settings(), transport=source.transport()).run_once(now)
        assert [str(r.url) for r in source.requests] == ["http://dept.test/hooks/sla"]

    async def test_malformed_department_url_is_dead_not_stuck(self, now, db):
        ticket = await pos_ticket(db)
        async with db.sessionmaker() as session:
            from app.models.directory import Department

            department = await session.get(Department, ticket.department_code)
            assert department is not None
            department.webhook_url = "ftp://dept.test/hooks"
            await session.commit()
            await outbox.enqueue(
                session,
                target="department_webhook",
                kind="sla_notification",
                payload={"event": "breached"},
                ticket=ticket,
            )
            await session.commit()
        await Relay(db, settings=settings()).run_once(now)
        [message] = await messages(db)
        assert message.state == "dead" and message.last_error == "invalid_url"


class TestConcurrencyAndCrashes:
    async def test_two_relays_never_send_one_message_twice(self, now, client, db):
        for n in range(12):
            ticket = await pos_ticket(db, source_id=str(563100000 + n))
            await answer(client, db, ticket)
        sends: Counter[str] = Counter()

        async def slow(request: httpx.Request) -> httpx.Response:
            sends[request.headers["webhook-id"]] += 1
            await asyncio.sleep(0.05)  # both relays are mid-delivery at once
            return httpx.Response(200)

        s = settings(outbox_batch_size=3)
        one = Relay(db, settings=s, transport=httpx.MockTransport(slow))
        two = Relay(db, settings=s, transport=httpx.MockTransport(slow))
        counts = await asyncio.gather(one.run_once(now), two.run_once(now))
        assert sum(counts) == 12
        assert len(sends) == 12 and set(sends.values()) == {1}
        assert {m.state for m in await messages(db)} == {"sent"}

    async def test_a_dead_relays_claim_expires_and_its_late_result_is_ignored(
        self, now, client, db
    ):
        ticket = await pos_ticket(db)
        await answer(client, db, ticket)
        async with db.sessionmaker() as session:
            [claimed] = await outbox.claim_due(session, now=now, limit=10, lease_seconds=60)
            await session.commit()
        # The relay holding the claim "died": nobody else may take it during the lease…
        source = FakeSource()
        relay = Relay(db, settings=settings(outbox_lease_seconds=60), transport=source.transport())
        assert await relay.run_once(now + timedelta(seconds=59)) == 0
        # …and after it the message is sent again, with the same id.
        assert await relay.run_once(now + timedelta(seconds=61)) == 1
        [message] = await messages(db)
        assert message.state == "sent" and message.attempts == 2
        assert source.requests[0].headers["webhook-id"] == claimed.idempotency_id
        # The first relay's late answer (attempt 1) changes nothing.
        async with db.sessionmaker() as session:
            late = await outbox.settle_attempt(
                session, claimed.id, 1, AttemptResult(Outcome.dead, "http_4xx", 400), now=now
            )
            await session.commit()
        assert late is None
        [message] = await messages(db)
        assert message.state == "sent"
