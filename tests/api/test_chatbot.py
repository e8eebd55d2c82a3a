"""The anonymous chat-bot end to end: Telegram webhook in, fake Bot API out, nothing personal
kept in clear — not in the database, the logs, or the API."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from app.channels.chatbot_privacy import purge_closed
from app.config import get_settings
from app.main import create_app
from app.metrics import store as metrics_store
from app.models.chatbot import ChatbotReport
from app.models.feedback import TicketFeedback
from app.models.outbox import OutboxMessage
from app.models.tickets import Ticket
from app.workers.relay import Relay
from tests.support.builders import auth, make_key
from tests.support.database import asyncpg_dsn

SECRET = "tg-secret-0123456789"
CHAT_ID = 987654321012
FIRST, LAST, USERNAME = "Аноним", "Секретов", "secret_user_77"
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 11:00 in Vladivostok
FAKE_BOT_API = "http://fake-bot-api.test"


@pytest.fixture
def bot_settings():
    return get_settings().model_copy(
        update={
            "telegram_webhook_secret": SECRET,
            "telegram_bot_token": "4242:TEST-TOKEN",
            "telegram_api_url": FAKE_BOT_API,
            "telegram_chat_hash_key": "hash-key-for-tests",
            "telegram_chat_encryption_key": Fernet.generate_key().decode(),
            "telegram_chat_retention_days": 7.0,
        }
    )


@pytest.fixture
async def bot_client(db, bot_settings):
    app = create_app(db=db, settings=bot_settings)
    app.state.clock = lambda: NOW
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


class FakeBotApi:
    """Records sendMessage calls the way the Bot API would receive them."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            assert request.url.path == "/bot4242:TEST-TOKEN/sendMessage"
            body = json.loads(request.content)
            self.sent.append(body)
            return httpx.Response(200, json={"ok": True, "result": {"message_id": len(self.sent)}})

        return httpx.MockTransport(handle)


_update_id = 1000


def update(**message: Any) -> dict[str, Any]:
    global _update_id
    _update_id += 1
    person = {"id": CHAT_ID, "is_bot": False, "first_name": FIRST, "last_name": LAST}
    return {
        "update_id": _update_id,
        "message": {
            "message_id": _update_id,
            "from": {**person, "username": USERNAME},
            "chat": {**person, "type": "private", "username": USERNAME},
            "date": int(NOW.timestamp()),
            **message,
        },
    }


async def send(client, body: dict[str, Any], secret: str = SECRET) -> httpx.Response:
    return await client.post(
        "/api/v1/webhooks/telegram",
        json=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )


async def database_text(db) -> str:
    """Every row of every table, as text."""
    conn = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        tables = [
            r[0]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        parts = []
        for table in tables:
            rows = await conn.fetch(f'SELECT row_to_json(t)::text FROM public."{table}" t')
            parts += [r[0] for r in rows]
        return "\n".join(parts)
    finally:
        await conn.close()


async def test_wrong_or_missing_secret_is_401(bot_client) -> None:
    assert (await send(bot_client, update(text="/start"), secret="nope")).status_code == 401
    response = await bot_client.post("/api/v1/webhooks/telegram", json=update(text="/start"))
    assert response.status_code == 401


async def test_start_explains_and_promises_anonymity(bot_client) -> None:
    reply = (await send(bot_client, update(text="/start"))).json()
    assert reply["method"] == "sendMessage" and reply["chat_id"] == CHAT_ID
    assert "анонимн" in reply["text"].lower() and "7 дн." in reply["text"]


async def test_report_status_answer_rating_without_identity(
    bot_client, db, bot_settings, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    text = "Во дворе дома 12 по ул. Советской жгут мусор, каждый вечер"
    reply = (await send(bot_client, update(text=text))).json()
    assert reply["chat_id"] == CHAT_ID and "Обращение принято, номер SD-" in reply["text"]
    number = reply["text"].split("номер ")[1].split(".")[0]

    photo = [
        {"file_id": "AgACAgIAAx-small", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "AgACAgIAAx-large", "file_unique_id": "l", "width": 800, "height": 600},
    ]
    added = (await send(bot_client, update(photo=photo, caption="вот фото"))).json()
    assert added["text"] == f"Добавлено к обращению {number}."
    await send(bot_client, update(location={"latitude": 44.597, "longitude": 132.815}))

    async with db.sessionmaker() as session:
        ticket = (await session.exec(select(Ticket).where(Ticket.number == number))).one()
    assert (ticket.source, ticket.kind, ticket.channel) == (
        "chatbot",
        "anonymous_report",
        "telegram",
    )
    assert ticket.applicant_id is None
    assert ticket.category_code == "offences" and ticket.department_code == "admcom"
    assert ticket.attachments == [{"type": "photo", "telegram_file_id": "AgACAgIAAx-large"}]
    assert (ticket.lat, ticket.lon) == (44.597, 132.815)
    assert "вот фото" in ticket.text
    assert ticket.search_text.endswith("вот фото")  # the addition is searchable too

    # The department works on it: a status change and the final answer go out via the outbox.
    operator = await make_key(db, "operator", "admcom")
    moved = await bot_client.post(
        f"/api/v1/tickets/{ticket.id}/transitions",
        json={"to": "in_progress"},
        headers=auth(operator),
    )
    assert moved.status_code == 200, moved.text
    answered = await bot_client.post(
        f"/api/v1/tickets/{ticket.id}/answers",
        json={"text": "Нарушитель привлечён к ответственности.", "kind": "final"},
        headers=auth(operator),
    )
    assert answered.status_code in (200, 201), answered.text
    bot = FakeBotApi()
    relay = Relay(db, settings=bot_settings, transport=bot.transport())
    await relay.run_once(datetime.now(UTC) + timedelta(minutes=1))  # outbox rows use wall time
    await relay.aclose()
    assert [m["chat_id"] for m in bot.sent] == [CHAT_ID, CHAT_ID]
    assert bot.sent[0]["text"] == f"Обращение {number}: в работе."
    assert "Нарушитель привлечён" in bot.sent[1]["text"]
    buttons = bot.sent[1]["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == [f"fb:yes:{ticket.id}", f"fb:no:{ticket.id}"]

    # «Проблема решена?» — «Нет»: stored, counted, the ticket goes back to work.
    press = {
        "update_id": 99001,
        "callback_query": {
            "id": "cb1",
            "from": {"id": CHAT_ID, "first_name": FIRST, "username": USERNAME},
            "message": {"message_id": 5, "chat": {"id": CHAT_ID, "type": "private"}},
            "data": f"fb:no:{ticket.id}",
        },
    }
    thanks = (await send(bot_client, press)).json()
    assert "возвращено в работу" in thanks["text"]
    async with db.sessionmaker() as session:
        row = (await session.exec(select(TicketFeedback))).one()
        reopened = await session.get(Ticket, ticket.id)
        notices = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.kind == "feedback"))
        ).all()
        series = await metrics_store.read_all(session)
    assert (row.source, row.sentiment, row.score, row.reopened) == (
        "chatbot",
        "negative",
        None,
        True,
    )
    assert reopened is not None and reopened.status == "in_progress"
    assert notices == []  # admcom has no webhook_url: a notice could only dead-letter
    assert (
        "appeals_citizen_feedback_total",
        {"department": "admcom", "sentiment": "negative", "source": "chatbot"},
        1.0,
    ) in series

    # /status lists the chat's reports by number only.
    status = (await send(bot_client, update(text="/status"))).json()
    assert status["text"] == f"{number}: в работе"

    # Nothing personal in clear: database, logs, API.
    secrets = [str(CHAT_ID), FIRST, LAST, USERNAME]
    dump = await database_text(db)
    for value in secrets:
        assert value not in dump
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in [*secrets, "TEST-TOKEN"]:
        assert value not in logged
    admin = await make_key(db, "admin")
    for path in ("", "/events", "/answers"):
        body = (
            await bot_client.get(f"/api/v1/tickets/{ticket.id}{path}", headers=auth(admin))
        ).text
        for value in secrets:
            assert value not in body


async def test_chat_id_is_purged_after_closure(bot_client, db, bot_settings) -> None:
    reply = (await send(bot_client, update(text="Парковка на газоне у школы"))).json()
    number = reply["text"].split("номер ")[1].split(".")[0]
    operator = await make_key(db, "operator", "admcom")
    async with db.sessionmaker() as session:
        ticket = (await session.exec(select(Ticket).where(Ticket.number == number))).one()
    for body in ({"text": "Составлен протокол.", "kind": "final"},):
        await bot_client.post(
            f"/api/v1/tickets/{ticket.id}/answers", json=body, headers=auth(operator)
        )
    closed = await bot_client.post(
        f"/api/v1/tickets/{ticket.id}/transitions", json={"to": "closed"}, headers=auth(operator)
    )
    assert closed.status_code == 200, closed.text
    async with db.sessionmaker() as session:
        assert await purge_closed(session, now=NOW + timedelta(days=6), retention_days=7) == 0
        assert await purge_closed(session, now=NOW + timedelta(days=8), retention_days=7) == 1
        await session.commit()
        report = (await session.exec(select(ChatbotReport))).one()
    assert report.chat_sealed is None and report.purged_at is not None

    # Messages still queued for the purged chat cannot be delivered any more.
    bot = FakeBotApi()
    relay = Relay(db, settings=bot_settings, transport=bot.transport())
    await relay.run_once(datetime.now(UTC) + timedelta(minutes=1))
    await relay.aclose()
    assert bot.sent == []
    async with db.sessionmaker() as session:
        states = {
            m.state
            for m in (
                await session.exec(select(OutboxMessage).where(OutboxMessage.target == "telegram"))
            ).all()
        }
    assert states == {"dead"}


async def test_later_message_starts_a_new_report(bot_client) -> None:
    first = (await send(bot_client, update(text="Шумят ночью во дворе"))).json()
    bot_client.app.state.clock = lambda: NOW + timedelta(hours=2)
    second = (await send(bot_client, update(text="Снова торгуют с машины у рынка"))).json()
    assert "Обращение принято" in first["text"] and "Обращение принято" in second["text"]
    assert first["text"] != second["text"]


async def test_group_chats_and_edits_are_ignored(bot_client) -> None:
    group = update(text="всем привет")
    group["message"]["chat"] = {"id": -100123, "type": "group", "title": "Чат дома"}
    assert (await send(bot_client, group)).json() == {}
    assert (await send(bot_client, {"update_id": 5, "edited_message": {}})).json() == {}
    assert (await send(bot_client, {"nope": 1})).status_code == 422


async def test_a_resent_update_changes_nothing(bot_client, db) -> None:
    first = update(text="Незаконная торговля у остановки")
    photo = update(photo=[{"file_id": "AgAC-one", "file_unique_id": "u", "width": 1, "height": 1}])
    created = (await send(bot_client, first)).json()
    added = (await send(bot_client, photo)).json()
    # Telegram did not get our 200 in time and sends both again.
    again = [(await send(bot_client, body)).json()["text"] for body in (first, photo)]
    number = created["text"].split("номер ")[1].split(".")[0]
    assert added["text"] == f"Добавлено к обращению {number}."
    assert again == [f"Уже получено: обращение {number}."] * 2
    async with db.sessionmaker() as session:
        tickets = (await session.exec(select(Ticket))).all()
    assert len(tickets) == 1
    assert tickets[0].attachments == [{"type": "photo", "telegram_file_id": "AgAC-one"}]
