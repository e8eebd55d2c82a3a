"""Deadlines on real calendar cases, through the API (issue 5, "Must show 1")."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.models.outbox import OutboxMessage
from tests.support.builders import auth, make_key, make_ticket

VLAT = ZoneInfo("Asia/Vladivostok")
NEUTRAL = "Просим разобраться с проблемой"  # names no place, so never taken for a duplicate


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VLAT)


def at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def im_post(db, *, when: datetime, priority: str = "normal"):
    return await make_ticket(
        db,
        source="incident_management",
        kind="social_post",
        channel="vk",
        priority=priority,
        created_at=when,
        now=when,
        applicant=None,
        text=NEUTRAL,
    )


async def fz59_appeal(db, *, when: datetime):
    return await make_ticket(
        db,
        source="feedback_platform",
        kind="fz59_appeal",
        channel="gosuslugi",
        text=NEUTRAL,
        created_at=when,
        now=when,
    )


async def deadline_events(client, token: str, ticket_id: int) -> list[dict]:
    events = (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=auth(token))).json()
    return [e["data"] for e in events if e["type"] == "deadlines"]


class TestIncidentManagement:
    async def test_high_importance_post_at_17_on_a_friday(self, client, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await im_post(db, when=local(2025, 11, 28, 17, 0), priority="high")
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert at(body["first_response_due_at"]) == local(2025, 12, 1, 12, 0)
        events = await deadline_events(client, token, ticket.id)
        assert [e["reason"] for e in events] == ["created"]
        assert events[0]["policy"] == "im_high"
        assert at(events[0]["first_response_due_at"]) == local(2025, 12, 1, 12, 0)

    async def test_nine_working_hours_from_30_december(self, client, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await im_post(db, when=local(2025, 12, 30, 17, 0))
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        # 31 Dec and 9 Jan are substituted days off: the first answer is due Monday 12 Jan.
        assert at(body["first_response_due_at"]) == local(2026, 1, 12, 17, 0)

    async def test_working_saturday_1_november_2025(self, client, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await im_post(db, when=local(2025, 10, 31, 17, 0))
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert at(body["first_response_due_at"]) == local(2025, 11, 1, 17, 0)

    async def test_interim_answer_opens_seven_working_days(self, client, app, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await im_post(db, when=local(2026, 2, 2, 10, 0))
        app.state.clock = lambda: local(2026, 2, 2, 12, 0)
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/answers",
            json={"kind": "interim", "text": "Передано в дорожную службу, ответим по итогам."},
            headers=auth(token),
        )
        assert r.status_code == 201, r.text
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert at(body["resolution_due_at"]) == local(2026, 2, 11, 12, 0)
        events = await deadline_events(client, token, ticket.id)
        assert [e["reason"] for e in events] == ["created", "interim_answer"]


class TestPauseAndResume:
    async def test_on_hold_pauses_the_working_clock(self, client, app, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await im_post(db, when=local(2026, 2, 2, 10, 0), priority="high")
        url = f"/api/v1/tickets/{ticket.id}"
        assert at((await client.get(url, headers=auth(token))).json()["first_response_due_at"]) == (
            local(2026, 2, 2, 14, 0)
        )
        app.state.clock = lambda: local(2026, 2, 2, 11, 0)
        r = await client.post(
            f"{url}/transitions",
            json={"to": "on_hold", "reason": "ждём адрес от автора"},
            headers=auth(token),
        )
        assert r.status_code == 200, r.text
        app.state.clock = lambda: local(2026, 2, 3, 10, 0)
        r = await client.post(f"{url}/transitions", json={"to": "in_progress"}, headers=auth(token))
        assert r.status_code == 200, r.text
        # 3 working hours were left when it was held; they run from 10:00 Tuesday.
        assert at(r.json()["first_response_due_at"]) == local(2026, 2, 3, 13, 0)
        events = await deadline_events(client, token, ticket.id)
        assert [e["reason"] for e in events] == ["created", "resumed"]
        assert at(events[-1]["first_response_due_at"]) == local(2026, 2, 3, 13, 0)


class TestFz59:
    async def test_legal_and_control_dates(self, client, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await fz59_appeal(db, when=local(2025, 12, 2, 12, 0))
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        # Registration (59-ФЗ art. 8) is its own target, not a first response.
        assert body["first_response_due_at"] is None
        assert at(body["registration_due_at"]) == local(2025, 12, 5, 23, 59, 59)
        assert at(body["registered_at"]) == local(2025, 12, 2, 12, 0)
        # Day 30 is 1 Jan 2026: the law moves it to 12 Jan, the control date back to 30 Dec.
        assert at(body["legal_due_at"]) == local(2026, 1, 12, 23, 59, 59)
        assert at(body["resolution_due_at"]) == at(body["legal_due_at"])
        assert at(body["control_due_at"]) == local(2025, 12, 30, 23, 59, 59)

    async def test_one_extension_with_a_notice_and_the_second_refused(
        self, client, app, db
    ) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await fz59_appeal(db, when=local(2025, 12, 2, 12, 0))
        app.state.clock = lambda: local(2025, 12, 20, 10, 0)
        url = f"/api/v1/tickets/{ticket.id}/extend"
        reason = "Нужен выезд комиссии и запрос в управляющую компанию"
        r = await client.post(url, json={"reason": reason, "days": 30}, headers=auth(token))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["extension_count"] == 1
        # Day 60 is Saturday 31 Jan 2026: legal → Monday 2 Feb, control → Friday 30 Jan.
        assert at(body["legal_due_at"]) == local(2026, 2, 2, 23, 59, 59)
        assert at(body["control_due_at"]) == local(2026, 1, 30, 23, 59, 59)
        assert at(body["resolution_due_at"]) == at(body["legal_due_at"])
        events = await deadline_events(client, token, ticket.id)
        assert events[-1]["reason"] == "extended"
        assert events[-1]["extension_reason"] == reason
        async with db.sessionmaker() as session:
            notices = (
                await session.exec(
                    select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
                )
            ).all()
        assert [(m.target, m.kind) for m in notices] == [("feedback_platform", "extension_notice")]
        assert notices[0].payload["extension_days"] == 30

        again = await client.post(url, json={"reason": reason}, headers=auth(token))
        assert again.status_code == 409, again.text
        assert again.headers["content-type"] == "application/problem+json"
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert at(body["legal_due_at"]) == local(2026, 2, 2, 23, 59, 59)

    async def test_only_59fz_appeals_extend(self, client, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await im_post(db, when=local(2026, 2, 2, 10, 0))
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/extend", json={"reason": "долго"}, headers=auth(token)
        )
        assert r.status_code == 409

    async def test_extension_needs_a_reason_and_at_most_30_days(self, client, db) -> None:
        token = await make_key(db, "operator", "roads")
        ticket = await fz59_appeal(db, when=local(2026, 2, 2, 10, 0))
        url = f"/api/v1/tickets/{ticket.id}/extend"
        assert (await client.post(url, json={}, headers=auth(token))).status_code == 422
        r = await client.post(url, json={"reason": "долго", "days": 31}, headers=auth(token))
        assert r.status_code == 422

    async def test_another_departments_appeal_is_not_found(self, client, db) -> None:
        token = await make_key(db, "operator", "zhkh")
        ticket = await fz59_appeal(db, when=local(2026, 2, 2, 10, 0))
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/extend", json={"reason": "долго"}, headers=auth(token)
        )
        assert r.status_code == 404


class TestOtherSources:
    async def test_pos_message_answer_at_wins_else_ten_days(self, client, db) -> None:
        token = await make_key(db, "operator", "roads")
        planned = "2026-02-20T18:00:00+10:00"
        with_plan = await make_ticket(
            db,
            source="feedback_platform",
            kind="pos_message",
            channel="gosuslugi",
            text=NEUTRAL,
            created_at=local(2026, 2, 2, 10, 0),
            source_due_at=datetime.fromisoformat(planned),
        )
        without = await make_ticket(
            db,
            source="feedback_platform",
            kind="pos_message",
            channel="gosuslugi",
            text=NEUTRAL,
            created_at=local(2026, 2, 2, 10, 0),
        )
        fast = await make_ticket(
            db,
            source="feedback_platform",
            kind="pos_message",
            channel="gosuslugi",
            text=NEUTRAL,
            created_at=local(2026, 2, 2, 10, 0),
            fast_track=True,
        )
        got = {}
        for t in (with_plan, without, fast):
            body = (await client.get(f"/api/v1/tickets/{t.id}", headers=auth(token))).json()
            got[t.id] = at(body["resolution_due_at"])
        assert got[with_plan.id] == datetime.fromisoformat(planned)
        assert got[without.id] == local(2026, 2, 12, 23, 59, 59)
        assert got[fast.id] == local(2026, 2, 7, 23, 59, 59)

    async def test_anonymous_chatbot_report(self, client, db) -> None:
        token = await make_key(db, "operator", "admcom")
        ticket = await make_ticket(
            db,
            source="chatbot",
            kind="anonymous_report",
            channel="telegram",
            category_code="offences",
            text=NEUTRAL,
            created_at=local(2026, 2, 6, 15, 0),
            applicant=None,
        )
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert at(body["first_response_due_at"]) == local(2026, 2, 9, 15, 0)
        assert at(body["resolution_due_at"]) == local(2026, 2, 20, 15, 0)
