"""Citizen ratings: one record per answer, the reopen rule, the department notice, the metric."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from app.connectors.feedback_platform.inbound import rating as pos_rating
from app.connectors.incident_management.inbound import close_reason as im_close_reason
from app.errors import ValidationFailed
from app.feedback.service import record_feedback, record_source_feedback, sentiment_of_score
from app.metrics import store as metrics_store
from app.models.common import Status
from app.models.feedback import Sentiment, TicketFeedback
from app.models.outbox import OutboxMessage
from app.models.tickets import Ticket, TicketAnswer
from app.tickets.status import apply_status
from tests.support.builders import auth, make_key, make_ticket

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


async def _answered(db, **overrides) -> int:
    ticket = await make_ticket(db, now=NOW, **overrides)
    async with db.sessionmaker() as session:
        row = await session.get(Ticket, ticket.id)
        assert row is not None and row.id is not None
        session.add(TicketAnswer(ticket_id=row.id, kind="final", text="Сделано", author="test"))
        apply_status(row, Status.answered, now=NOW + timedelta(days=1))
        await session.commit()
        return row.id


async def _feedback_total(session) -> dict[tuple[str, str, str], float]:
    return {
        (labels["source"], labels["department"], labels["sentiment"]): value
        for name, labels, value in await metrics_store.read_all(session)
        if name == "appeals_citizen_feedback_total"
    }


def test_score_sentiment() -> None:
    assert [sentiment_of_score(n) for n in (1, 2, 3, 4, 5)] == [
        Sentiment.negative,
        Sentiment.negative,
        Sentiment.neutral,
        Sentiment.positive,
        Sentiment.positive,
    ]
    with pytest.raises(ValidationFailed):
        sentiment_of_score(6)


async def test_nothing_is_recorded_without_a_verdict(db) -> None:
    ticket_id = await _answered(db, source="incident_management", kind="social_post")
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        assert await record_source_feedback(session, ticket, None, now=NOW, actor="test") is None
        assert (await session.exec(select(TicketFeedback))).all() == []


async def _set_webhook(db, department: str, url: str | None) -> None:
    async with db.sessionmaker() as session:
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE departments SET webhook_url = :url WHERE code = :code"),
            params={"url": url, "code": department},
        )
        await session.commit()


@pytest.mark.parametrize(("score", "reopens"), [(1, True), (2, True), (3, False), (5, False)])
async def test_low_pos_score_reopens_and_notifies(db, score: int, reopens: bool) -> None:
    await _set_webhook(db, "roads", "https://roads.example/hook")
    ticket_id = await _answered(db, source="feedback_platform", kind="pos_message")
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        row = await record_source_feedback(
            session, ticket, pos_rating(score), now=NOW + timedelta(days=2), actor="test"
        )
        await session.commit()
        assert row is not None and row.reopened is reopens
        ticket = await session.get(Ticket, ticket_id, populate_existing=True)
        assert ticket is not None
        assert ticket.status == ("in_progress" if reopens else "answered")
        notices = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.kind == "feedback"))
        ).all()
        assert [n.target for n in notices] == (["department_webhook"] if reopens else [])
        sentiment = sentiment_of_score(score).value
        assert await _feedback_total(session) == {("feedback_platform", "roads", sentiment): 1.0}


async def test_no_notice_for_a_department_without_a_webhook(db) -> None:
    """The sweeper's rule: a department without a webhook is told nothing (it would dead-letter)."""
    await _set_webhook(db, "roads", None)
    ticket_id = await _answered(db, source="incident_management", kind="social_post")
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        row = await record_source_feedback(
            session, ticket, im_close_reason("Автор недоволен"), now=NOW, actor="test"
        )
        await session.commit()
        assert row is not None and row.reopened
        outbox = (await session.exec(select(OutboxMessage))).all()
        assert [m.target for m in outbox if m.target == "department_webhook"] == []
        assert await _feedback_total(session) == {("incident_management", "roads", "negative"): 1}


async def test_one_record_per_answer_and_repeats_change_nothing(db) -> None:
    ticket_id = await _answered(db, source="incident_management", kind="social_post")
    async with db.sessionmaker() as session:
        for _ in range(3):
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None
            await record_source_feedback(
                session, ticket, im_close_reason("Автор доволен"), now=NOW, actor="test"
            )
        await session.commit()
        rows = (await session.exec(select(TicketFeedback))).all()
        assert [(r.source, r.source_value, r.sentiment, r.score) for r in rows] == [
            ("incident_management", "Автор доволен", "positive", None)
        ]
        assert await _feedback_total(session) == {("incident_management", "roads", "positive"): 1}


async def test_threshold_is_configurable_and_open_tickets_are_not_reopened(db) -> None:
    ticket_id = await _answered(db)
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        row = await record_feedback(
            session,
            ticket,
            source_value="3",
            score=3,
            sentiment="neutral",
            now=NOW,
            actor="key:1",
            threshold=3,
        )
        assert row.reopened and ticket.status == "in_progress"
        await session.commit()
    open_ticket = await make_ticket(
        db, now=NOW, text="Не работает фонарь во дворе", category_code="improvement"
    )
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, open_ticket.id)
        assert ticket is not None
        row = await record_feedback(
            session, ticket, source_value="1", score=1, sentiment="negative", now=NOW, actor="t"
        )
        assert not row.reopened and ticket.status in ("new", "routed")
        await session.commit()


async def test_staff_record_feedback_over_http(client, db) -> None:
    ticket_id = await _answered(db)
    operator = await make_key(db, "operator", "roads")
    stranger = await make_key(db, "operator", "zhkh")
    url = f"/api/v1/tickets/{ticket_id}/feedback"
    assert (await client.post(url, json={"score": 1}, headers=auth(stranger))).status_code == 404
    assert (await client.post(url, json={}, headers=auth(operator))).status_code == 422
    assert (await client.post(url, json={"score": 9}, headers=auth(operator))).status_code == 422
    created = await client.post(
        url, json={"score": 2, "source_value": "по телефону: не устроило"}, headers=auth(operator)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["source"], body["sentiment"], body["score"], body["reopened"]) == (
        "manual",
        "negative",
        2,
        True,
    )
    listed = (await client.get(url, headers=auth(operator))).json()
    assert [r["id"] for r in listed] == [body["id"]]
    ticket = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=auth(operator))).json()
    assert ticket["status"] == "in_progress"
    events = (
        await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=auth(operator))
    ).json()
    types = [e["type"] for e in events]
    assert types.index("feedback") < len(types) - 1 - types[::-1].index("status_changed")
