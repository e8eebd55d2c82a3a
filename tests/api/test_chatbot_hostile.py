"""The chat-bot under hostile and concurrent input (issue 23, items 1, 3 and 6): malformed updates
are refused politely and never answered 5xx, one chat's updates arriving at once are each taken
exactly once, and nothing personal reaches the log on the way."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from app.connectors.base import ConnectorPayloadError
from app.connectors.incident_management.inbound import IncidentManagementConnector
from app.logging_setup import JsonFormatter
from app.main import create_app
from app.models.chatbot import ChatbotReport, ChatbotUpdate
from app.models.feedback import TicketFeedback
from app.models.tickets import Ticket, TicketEvent
from tests.api.test_chatbot import NOW, SECRET, bot_settings  # noqa: F401 (a fixture)
from tests.support import telegram_corpus
from tests.support.servers import serve_in_process
from tests.support.webhooks import sample

URL = "/api/v1/webhooks/telegram"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"}
PERSON = {"first_name": "Фотографова", "last_name": "Альбина", "username": "album_sender_x"}


@pytest.fixture
async def bot_app(db, bot_settings):  # noqa: F811
    app = create_app(db=db, settings=bot_settings)
    app.state.clock = lambda: NOW
    return app


@pytest.fixture
async def bot(bot_app):
    transport = httpx.ASGITransport(app=bot_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def bot_http(bot_app):
    """The same app behind a real uvicorn: real HTTP, real parallel connections."""
    async with serve_in_process(bot_app) as base:
        limits = httpx.Limits(max_connections=40)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as c:
            yield c


def message(update_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
    person = {"id": chat_id, "is_bot": False, **PERSON}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": person,
            "chat": {**person, "type": "private"},
            "date": int(NOW.timestamp()),
            **content,
        },
    }


def photo(file_id: str) -> list[dict[str, Any]]:
    return [{"file_id": file_id, "file_unique_id": file_id[-6:], "width": 800, "height": 600}]


async def send(client: httpx.AsyncClient, update: dict[str, Any] | bytes) -> httpx.Response:
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    return await client.post(URL, content=body, headers=HEADERS)


async def count(db, model) -> int:
    async with db.sessionmaker() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


def logged(caplog) -> str:
    """What the api would have written: every record through the production formatter."""
    formatter = JsonFormatter()
    return "\n".join(formatter.format(r) for r in caplog.records)


async def test_hostile_corpus_over_real_http_is_never_5xx(bot_http, db, caplog):
    caplog.set_level(logging.DEBUG)
    cases = telegram_corpus.corpus()
    assert len(cases) >= 50
    outcomes: Counter[str] = Counter()
    for name, body, expected in cases:
        r = await send(bot_http, body)
        assert r.status_code < 500, (name, r.status_code, r.text)
        if expected == "422":
            assert r.status_code == 422, (name, r.text)
            assert r.headers["content-type"] == "application/problem+json", name
        elif expected == "refused":
            assert r.status_code == 200, (name, r.text)
            reply = r.json()
            assert reply["method"] == "sendMessage", name
            assert reply["chat_id"] == telegram_corpus.CHAT_ID, name
            assert "ничего не добавлено" in reply["text"], (name, reply)
        else:
            assert (r.status_code, r.json()) == (200, {}), (name, r.text)
        outcomes[expected] += 1
    assert outcomes["refused"] >= 20 and outcomes["silent"] >= 15 and outcomes["422"] >= 15
    # Nothing of it was stored.
    assert await count(db, Ticket) == 0
    assert await count(db, ChatbotReport) == 0
    # Refusals are logged by field and error type; nobody's name, account or chat is.
    log = logged(caplog)
    assert "refused: message.location.latitude (less_than_equal)" in log
    for value in (telegram_corpus.FIRST, telegram_corpus.LAST, telegram_corpus.USERNAME):
        assert value not in log
    assert str(telegram_corpus.CHAT_ID) not in log
    # And the bot still works.
    r = await send(bot_http, telegram_corpus.base(800_001))
    assert "Обращение принято" in r.json()["text"]


async def test_update_id_above_int64_is_a_clear_422(bot):
    r = await send(bot, message(2**63, 5, text="Яма"))
    assert r.status_code == 422
    problem = r.json()
    assert "update_id must be an integer from 0 to 9223372036854775807" in problem["detail"]
    assert problem["field"] == "update_id"
    r = await send(bot, message(2**63 - 1, 5, text="Яма на дороге"))
    assert r.status_code == 200 and "Обращение принято" in r.json()["text"]


async def test_a_button_with_a_superscript_digit_is_refused(bot, db):
    r = await send(bot, message(3001, 77, text="Машина на газоне"))
    assert "Обращение принято" in r.json()["text"]
    async with db.sessionmaker() as session:
        (ticket,) = (await session.exec(select(Ticket))).all()
    for data in ("fb:yes:²", f"fb:yes:{ticket.id}²", "fb:no:١"):
        press = {
            "update_id": 3002,
            "callback_query": {
                "id": "cb-x",
                "message": {"message_id": 9, "chat": {"id": 77, "type": "private"}},
                "data": data,
            },
        }
        r = await send(bot, press)
        assert (r.status_code, r.json()) == (200, {}), data
    assert await count(db, TicketFeedback) == 0


@pytest.mark.parametrize("latitude", [95, float("nan")])
async def test_latitude_95_and_nan_are_refused_like_the_im_connector_does(bot, db, latitude):
    update = message(3101, 78, location={"latitude": latitude, "longitude": 132.8})
    r = await send(bot, json.dumps(update).encode())  # json writes NaN as the bare word
    assert r.status_code == 200
    assert r.json()["text"].startswith("Геопозиция не распознана")
    assert await count(db, Ticket) == 0
    incident = sample("im_incident.json")
    incident["location"] = {"lat": latitude, "lon": 132.8}
    with pytest.raises(ConnectorPayloadError):
        IncidentManagementConnector().parse(json.dumps(incident).encode())


async def test_a_location_without_longitude_is_not_added(bot, db):
    created = (await send(bot, message(3201, 79, text="Свалка у гаражей"))).json()
    assert "Обращение принято" in created["text"]
    r = await send(bot, message(3202, 79, location={"latitude": 44.6}))
    assert r.status_code == 200
    assert "Добавлено" not in r.json()["text"]
    assert r.json()["text"].startswith("Геопозиция не распознана")
    async with db.sessionmaker() as session:
        (ticket,) = (await session.exec(select(Ticket))).all()
        events = (await session.exec(select(TicketEvent.type))).all()
    assert (ticket.lat, ticket.lon) == (None, None)
    assert "citizen_message" not in events


async def test_a_lower_id_handled_after_a_higher_one_is_still_taken(bot, db):
    first = (await send(bot, message(3302, 80, text="Торгуют с машины"))).json()
    number = first["text"].split("номер ")[1].split(".")[0]
    late = (await send(bot, message(3301, 80, photo=photo("AgAC-late-photo")))).json()
    assert late["text"] == f"Добавлено к обращению {number}."
    again = (await send(bot, message(3301, 80, photo=photo("AgAC-late-photo")))).json()
    assert again["text"] == f"Уже получено: обращение {number}."
    async with db.sessionmaker() as session:
        (ticket,) = (await session.exec(select(Ticket))).all()
    assert ticket.attachments == [{"type": "photo", "telegram_file_id": "AgAC-late-photo"}]


async def test_a_resent_update_racing_its_first_delivery(bot_http, db):
    replies = []
    for n in range(5):  # five chats, each update sent twice at the same moment
        update = message(3400 + n, 900 + n, text=f"Шумят ночью, дом {n}")
        replies += await asyncio.gather(send(bot_http, update), send(bot_http, update))
    assert [r.status_code for r in replies] == [200] * 10
    texts = [r.json()["text"] for r in replies]
    for pair in zip(texts[::2], texts[1::2], strict=True):
        kinds = sorted(t.split(",")[0].split(":")[0] for t in pair)
        assert kinds == ["Обращение принято", "Уже получено"], pair
    assert await count(db, Ticket) == 5
    assert await count(db, ChatbotUpdate) == 5


async def test_eight_albums_sent_at_once_make_eight_tickets_with_every_photo(bot_http, db):
    updates = []
    for album in range(8):
        chat = 5000 + album
        for n in range(3):
            content: dict[str, Any] = {"photo": photo(f"AgAC-album{album}-photo{n}")}
            if n == 0:
                content["caption"] = f"Незаконная свалка, фотоальбом {album}"
            updates.append((chat, message(60_000 + album * 3 + n, chat, **content)))
    responses = await asyncio.gather(*(send(bot_http, u) for _, u in updates))
    assert [r.status_code for r in responses] == [200] * 24
    by_chat: dict[int, list[str]] = {}
    for (chat, _), r in zip(updates, responses, strict=True):
        assert r.json()["chat_id"] == chat
        by_chat.setdefault(chat, []).append(r.json()["text"])
    for chat, texts in by_chat.items():
        created = [t for t in texts if t.startswith("Обращение принято")]
        assert len(created) == 1, (chat, texts)
        number = created[0].split("номер ")[1].split(".")[0]
        assert sorted(texts) == sorted([created[0], *[f"Добавлено к обращению {number}."] * 2])
    async with db.sessionmaker() as session:
        tickets = (await session.exec(select(Ticket))).all()
    assert len(tickets) == 8
    assert sorted(len(t.attachments) for t in tickets) == [3] * 8
    files = {a["telegram_file_id"] for t in tickets for a in t.attachments}
    assert len(files) == 24
    assert await count(db, ChatbotUpdate) == 24


async def test_one_update_id_from_two_chats_touches_neither_report(bot, db):
    first = (await send(bot, message(3500, 81, text="Яма у школы"))).json()
    assert "Обращение принято" in first["text"]
    other = await send(bot, message(3500, 82, text="Чужой текст"))
    assert other.status_code == 200
    assert other.json()["text"].startswith("Не удалось принять сообщение")
    async with db.sessionmaker() as session:
        (ticket,) = (await session.exec(select(Ticket))).all()
    assert ticket.text == "Яма у школы"
