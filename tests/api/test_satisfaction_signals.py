"""Citizen satisfaction signals arriving through the real ingestion paths (webhooks, export)."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from app.main import create_app
from app.models.feedback import TicketFeedback
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key
from tests.support.intake import settling
from tests.support.webhooks import IM_URL, POS_URL, encode, sample, signed, webhook_settings


@pytest.fixture
async def hooks(db):
    app = create_app(db=db, settings=webhook_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks=settling(db)
    ) as c:
        yield c


async def deliver(client, url, payload):
    body = encode(payload)
    r = await client.post(url, content=body, headers=signed(body))
    assert r.status_code == 202, r.text
    return r.json()


async def answer_ticket(client, db, source_id: str, department: str) -> Ticket:
    async with db.sessionmaker() as session:
        ticket = (await session.exec(select(Ticket).where(Ticket.source_id == source_id))).one()
    token = await make_key(db, "operator", ticket.department_code)
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/answers",
        json={"text": "Контейнеры вывезены", "kind": "final"},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    return ticket


async def feedback_of(db, ticket_id: int) -> list[TicketFeedback]:
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(TicketFeedback).where(TicketFeedback.ticket_id == ticket_id)
        )
        return list(rows.all())


async def status_of(db, ticket_id: int) -> str:
    async with db.sessionmaker() as session:
        return (await session.get(Ticket, ticket_id)).status


async def test_pos_low_rating_reopens_and_is_recorded_once(hooks, client, db):
    pos = sample("pos_message.json")
    await deliver(hooks, POS_URL, pos)
    ticket = await answer_ticket(client, db, str(pos["posId"]), "blago")
    assert await status_of(db, ticket.id) == "answered"
    rated = {**pos, "rating": 2, "status": "SEND_RESPONSE"}
    newer = datetime.now(UTC) + timedelta(minutes=1)
    rated["history"] = [
        *pos["history"],
        {
            "status": "SEND_RESPONSE",
            "statusText": "Отправлен ответ",
            "createdAt": newer.isoformat(),
            "answer": None,
        },
    ]
    await deliver(hooks, POS_URL, rated)
    await deliver(hooks, POS_URL, rated)  # the same signal again changes nothing
    rows = await feedback_of(db, ticket.id)
    assert [(r.score, r.sentiment) for r in rows] == [(2, "negative")]
    assert await status_of(db, ticket.id) == "in_progress"


async def test_pos_good_rating_keeps_ticket_answered(hooks, client, db):
    pos = sample("pos_message.json")
    await deliver(hooks, POS_URL, pos)
    ticket = await answer_ticket(client, db, str(pos["posId"]), "blago")
    await deliver(hooks, POS_URL, {**pos, "rating": 5})
    assert [(r.score, r.sentiment) for r in await feedback_of(db, ticket.id)] == [(5, "positive")]
    assert await status_of(db, ticket.id) == "answered"


async def test_im_close_reason_unhappy_is_negative(hooks, client, db):
    im = sample("im_incident.json")
    await deliver(hooks, IM_URL, im)
    async with db.sessionmaker() as session:
        ticket = (
            await session.exec(select(Ticket).where(Ticket.source == "incident_management"))
        ).one()
    token = await make_key(db, "operator", ticket.department_code)
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/answers",
        json={"text": "Светофор починили", "kind": "final"},
        headers=auth(token),
    )
    assert r.status_code == 201
    later = (datetime.fromisoformat(im["updated_at"]) + timedelta(hours=5)).isoformat()
    await deliver(hooks, IM_URL, {**im, "updated_at": later, "closure_reason": "Автор недоволен"})
    rows = await feedback_of(db, ticket.id)
    assert [(r.source_value, r.sentiment) for r in rows] == [("Автор недоволен", "negative")]


async def test_pos_export_rating_reaches_the_feedback_record(client, db):
    from tests.api.test_imports import pos_file, pos_row, upload

    importer = auth(await make_key(db, "integration", "press"))
    await upload(client, "feedback-platform", pos_file([pos_row(563007235)]), importer)
    async with db.sessionmaker() as session:
        ticket = (await session.exec(select(Ticket).where(Ticket.source_id == "563007235"))).one()
    operator = await make_key(db, "operator", ticket.department_code)
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/answers",
        json={"text": "Ответ дан", "kind": "final"},
        headers=auth(operator),
    )
    assert r.status_code == 201
    rated = pos_row(
        563007235, Статус="Отправлен ответ заявителю", **{"Оценка ответа заявителем": 2}
    )
    r = await upload(client, "feedback-platform", pos_file([rated]), importer)
    assert r.status_code == 200, r.text
    rows = await feedback_of(db, ticket.id)
    assert [(r.score, r.sentiment, r.source) for r in rows] == [
        (2, "negative", "feedback_platform")
    ]
    assert await status_of(db, ticket.id) == "in_progress"
