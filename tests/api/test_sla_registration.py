"""59-ФЗ registration as its own SLA target, and the extension only while the term runs
(issue 18, "Deadlines"), through the API, the sweeper and the report on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from app.main import create_app
from app.metrics import store as metrics_store
from app.models.outbox import OutboxMessage
from app.models.sla import SlaMark
from app.models.tickets import Ticket
from app.sla.sweeper import sweep
from tests.support.builders import auth, make_key, make_ticket
from tests.support.intake import processed
from tests.support.webhooks import POS_URL, encode, sample, signed, webhook_settings

VLAT = ZoneInfo("Asia/Vladivostok")
NEUTRAL = "Просим разобраться с проблемой"  # names no place, so never taken for a duplicate
FEB = {"from": "2026-02-01T00:00:00+10:00", "to": "2026-03-01T00:00:00+10:00"}


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VLAT)


def at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def fz59_appeal(db, *, received: datetime, now: datetime | None = None) -> Ticket:
    return await make_ticket(
        db,
        source="feedback_platform",
        kind="fz59_appeal",
        channel="gosuslugi",
        text=NEUTRAL,
        created_at=received,
        now=now or received,
    )


async def marks(db, ticket_id: int) -> set[tuple[str, str]]:
    async with db.sessionmaker() as session:
        rows = (await session.exec(select(SlaMark).where(SlaMark.ticket_id == ticket_id))).all()
    return {(m.target, m.level) for m in rows}


async def sla_counters(db) -> dict[tuple[str, str, str], float]:
    async with db.sessionmaker() as session:
        series = await metrics_store.read_all(session)
    return {
        (name, labels["department"], labels["target"]): value
        for name, labels, value in series
        if name in ("appeals_sla_breaches_total", "appeals_sla_at_risk_total")
    }


async def transition(client, token: str, ticket_id: int, to: str) -> None:
    r = await client.post(
        f"/api/v1/tickets/{ticket_id}/transitions", json={"to": to}, headers=auth(token)
    )
    assert r.status_code == 200, r.text


class TestRegisteredWhenMade:
    async def test_met_at_creation_and_never_a_first_response(self, client, app, db) -> None:
        # The case: taken into work on day 2, answered on day 20 of 30.
        token = await make_key(db, "operator", "roads")
        received = local(2026, 2, 2, 10, 0)
        ticket = await fz59_appeal(db, received=received)
        url = f"/api/v1/tickets/{ticket.id}"
        body = (await client.get(url, headers=auth(token))).json()
        assert at(body["registration_due_at"]) == local(2026, 2, 5, 23, 59, 59)
        assert at(body["registered_at"]) == received
        assert body["first_response_due_at"] is None

        app.state.clock = lambda: local(2026, 2, 3, 11, 0)
        await transition(client, token, ticket.id, "in_progress")
        for day in (4, 6, 10, 20):
            assert not (await sweep(db, local(2026, 2, day, 12, 0))).marks
        app.state.clock = lambda: local(2026, 2, 20, 15, 0)
        # A 59-ФЗ appeal is answered with its ССТУ.РФ outcome (docs/SSTU.md).
        outcome = {"code": "0003.0009.0099.0742", "status": "Supported", "actions_taken": True}
        r = await client.put(f"{url}/sstu", json={"questions": [outcome]}, headers=auth(token))
        assert r.status_code == 200, r.text
        r = await client.post(
            f"{url}/answers",
            json={"kind": "final", "text": "Яма заделана, проверено на месте."},
            headers=auth(token),
        )
        assert r.status_code == 201, r.text
        assert not (await sweep(db, local(2026, 4, 1, 12, 0))).marks
        assert await marks(db, ticket.id) == set()
        assert await sla_counters(db) == {}

        admin = await make_key(db, "admin")
        app.state.clock = lambda: local(2026, 4, 1, 12, 0)
        report = (await client.get("/api/v1/reports/sla", params=FEB, headers=auth(admin))).json()
        assert report["registration"] == {"count": 1, "on_time": 1, "missed": 0}
        assert report["breaches_by_category"] == report["breaches_by_source"] == []
        assert report["on_time"] == 1

    async def test_still_unanswered_on_day_3_is_not_a_breach(self, client, app, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await fz59_appeal(db, received=local(2026, 2, 2, 10, 0))
        assert not (await sweep(db, local(2026, 2, 9, 12, 0))).marks
        app.state.clock = lambda: local(2026, 2, 9, 12, 0)
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert body["overdue"] is False


class TestLateImport:
    async def test_backdated_appeal_is_a_registration_breach_only(self, client, app, db) -> None:
        async with db.sessionmaker() as session:
            await session.exec(  # type: ignore[call-overload]
                text(
                    "UPDATE departments SET webhook_url = 'http://127.0.0.1:9/h' WHERE code='roads'"
                )
            )
            await session.commit()
        # Received 1 Feb 2026 (Sunday, Vladivostok), reached the hub only on 20 Feb. Day 3 is
        # Wednesday 4 Feb; the resolution term (3 Mar) is still running.
        made = local(2026, 2, 20, 10, 0)
        ticket = await fz59_appeal(db, received=local(2026, 2, 1, 12, 0), now=made)
        token = await make_key(db, "operator", "roads")
        app.state.clock = lambda: made
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert at(body["registration_due_at"]) == local(2026, 2, 4, 23, 59, 59)
        assert at(body["registered_at"]) == made
        assert body["first_response_due_at"] is None and body["overdue"] is False

        result = await sweep(db, local(2026, 2, 20, 10, 1))
        assert dict(result.marks) == {"registration:breached": 1}
        assert not (await sweep(db, local(2026, 2, 21, 10, 0))).marks  # once
        assert await marks(db, ticket.id) == {("registration", "breached")}
        assert await sla_counters(db) == {
            ("appeals_sla_breaches_total", "roads", "registration"): 1
        }
        async with db.sessionmaker() as session:
            notes = (
                await session.exec(
                    select(OutboxMessage).where(OutboxMessage.kind == "sla_notification")
                )
            ).all()
        assert [(n.payload["target"], n.payload["level"]) for n in notes] == [
            ("registration", "breached")
        ]

        admin = await make_key(db, "admin")
        report = (await client.get("/api/v1/reports/sla", params=FEB, headers=auth(admin))).json()
        assert report["registration"] == {"count": 1, "on_time": 0, "missed": 1}
        assert report["breaches_by_category"] == [
            {"key": "roads", "first_response": 0, "resolution": 0, "registration": 1}
        ]
        assert report["missed"] == 0 and report["pending"] == 1
        csv_rows = (
            await client.get(
                "/api/v1/reports/sla", params={**FEB, "format": "csv"}, headers=auth(admin)
            )
        ).text.splitlines()
        assert "registration,missed,1" in csv_rows
        assert "breaches_by_category.registration,roads,1" in csv_rows

    async def test_through_the_feedback_platform_webhook(self, db) -> None:
        app = create_app(db=db, settings=webhook_settings())
        now = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
        app.state.clock = lambda: now
        payload = sample("pos_message.json")  # created 18 Nov 2026 (19 Nov in Vladivostok)
        payload["fz59"] = True
        body = encode(payload)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as hooks:
            r = await hooks.post(POS_URL, content=body, headers=signed(body, at=now))
        made = await processed(db, r)  # the intake pipeline makes the ticket
        assert made["status"] == "created"
        async with db.sessionmaker() as session:
            ticket = await session.get(Ticket, made["ticket_id"])
        assert ticket is not None and ticket.kind == "fz59_appeal"
        # Day 3 after 19 Nov is Sunday 22 Nov 2026 → Monday 23 Nov.
        assert ticket.registration_due_at == local(2026, 11, 23, 23, 59, 59)
        assert ticket.registered_at == now and ticket.first_response_due_at is None
        result = await sweep(db, now)
        assert result.marks["registration:breached"] == 1
        assert result.marks["first_response:breached"] == 0
        assert ("first_response", "breached") not in await marks(db, ticket.id)


class TestExtension:
    async def test_after_the_legal_due_date_is_409_and_the_breach_stays(
        self, client, app, db
    ) -> None:
        token = await make_key(db, "operator", "roads")
        # Received 2 Dec 2025: legal due 12 Jan 2026 (day 30 is 1 Jan, a holiday).
        ticket = await fz59_appeal(db, received=local(2025, 12, 2, 12, 0))
        assert (await sweep(db, local(2026, 1, 13, 9, 0))).marks["resolution:breached"] == 1
        url = f"/api/v1/tickets/{ticket.id}"
        app.state.clock = lambda: local(2026, 1, 13, 9, 0)
        r = await client.post(
            f"{url}/extend",
            json={"reason": "Нужен выезд комиссии", "days": 30},
            headers=auth(token),
        )
        assert r.status_code == 409, r.text
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["type"].endswith("/term-expired")
        assert "12.01.2026" in problem["detail"]
        assert at(problem["legal_due_at"]) == local(2026, 1, 12, 23, 59, 59)

        body = (await client.get(url, headers=auth(token))).json()
        assert body["overdue"] is True and body["extension_count"] == 0
        assert at(body["legal_due_at"]) == local(2026, 1, 12, 23, 59, 59)
        assert ("resolution", "breached") in await marks(db, ticket.id)
        async with db.sessionmaker() as session:
            notices = (
                await session.exec(
                    select(OutboxMessage).where(OutboxMessage.kind == "extension_notice")
                )
            ).all()
        assert notices == []

    async def test_on_the_last_day_it_still_extends(self, client, app, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await fz59_appeal(db, received=local(2025, 12, 2, 12, 0))
        app.state.clock = lambda: local(2026, 1, 12, 23, 0)
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/extend",
            json={"reason": "Нужен выезд комиссии", "days": 30},
            headers=auth(token),
        )
        assert r.status_code == 200, r.text
        # Day 60 from 2 Dec is Saturday 31 Jan 2026 → Monday 2 Feb.
        assert r.json()["extension_count"] == 1 and r.json()["overdue"] is False
        assert at(r.json()["legal_due_at"]) == local(2026, 2, 2, 23, 59, 59)


@pytest.fixture
async def by_hand(client, db):
    """The example city switched to registering 59-ФЗ appeals by hand."""
    admin = await make_key(db, "admin")
    policies = (await client.get("/api/v1/sla-policies", headers=auth(admin))).json()
    fz59 = next(p for p in policies if p["name"] == "fz59_appeal")
    data = {k: v for k, v in fz59.items() if k not in ("id", "name", "origin", "updated_at")} | {
        "registration_by_hand": True
    }
    r = await client.put(f"/api/v1/sla-policies/{fz59['id']}", json=data, headers=auth(admin))
    assert r.status_code == 200, r.text
    return r.json()


class TestRegistrationByHand:
    async def test_operator_registers_in_time(self, client, app, db, by_hand) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await fz59_appeal(db, received=local(2026, 2, 2, 10, 0))
        url = f"/api/v1/tickets/{ticket.id}"
        body = (await client.get(url, headers=auth(token))).json()
        assert body["registered_at"] is None
        app.state.clock = lambda: local(2026, 2, 3, 11, 0)
        r = await client.post(f"{url}/register", headers=auth(token))
        assert r.status_code == 200, r.text
        assert at(r.json()["registered_at"]) == local(2026, 2, 3, 11, 0)
        again = await client.post(f"{url}/register", headers=auth(token))
        assert again.status_code == 409
        assert not (await sweep(db, local(2026, 2, 10, 12, 0))).marks
        events = (await client.get(f"{url}/events", headers=auth(token))).json()
        registered = [e for e in events if e["type"] == "registered"]
        assert len(registered) == 1 and registered[0]["data"]["late"] is False

    async def test_unregistered_past_the_due_date_is_breached(
        self, client, app, db, by_hand
    ) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await fz59_appeal(db, received=local(2026, 2, 2, 10, 0))
        assert not (await sweep(db, local(2026, 2, 5, 23, 0))).marks
        assert dict((await sweep(db, local(2026, 2, 6, 9, 0))).marks) == {
            "registration:breached": 1
        }
        app.state.clock = lambda: local(2026, 2, 6, 10, 0)
        r = await client.post(f"/api/v1/tickets/{ticket.id}/register", headers=auth(token))
        assert r.status_code == 200, r.text
        assert not (await sweep(db, local(2026, 2, 6, 11, 0))).marks  # still once
        assert await marks(db, ticket.id) == {("registration", "breached")}

    async def test_a_hub_registered_policy_refuses_the_action(self, client, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await fz59_appeal(db, received=local(2026, 2, 2, 10, 0))
        r = await client.post(f"/api/v1/tickets/{ticket.id}/register", headers=auth(token))
        assert r.status_code == 409


class TestPolicies:
    async def test_a_59fz_policy_has_no_first_response_target(self, client, db) -> None:
        admin = await make_key(db, "admin")
        policy = {
            "name": "fz59_old_style",
            "kind": "fz59_appeal",
            "first_response": {"value": 3, "unit": "calendar_days"},
            "resolution": {"value": 30, "unit": "calendar_days"},
            "legal_dates": True,
        }
        r = await client.post("/api/v1/sla-policies", json=policy, headers=auth(admin))
        assert r.status_code == 422
        assert "registration" in r.text
        policy["registration"] = policy.pop("first_response")
        r = await client.post("/api/v1/sla-policies", json=policy, headers=auth(admin))
        assert r.status_code == 201, r.text
        assert r.json()["registration"] == {"value": 3.0, "unit": "calendar_days"}
