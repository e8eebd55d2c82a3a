"""Albums from one chat (issue 23, outside tester's F5): what one chat sends within the 30-minute
follow-up window joins its open report, albums included — eight albums of three photos from one
chat, all at once over parallel connections, make one ticket with the 24 photos (eight chats
make eight tickets: test_chatbot_hostile)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select

from app.models.chatbot import ChatbotUpdate
from app.models.tickets import Ticket
from tests.api.test_chatbot_hostile import (
    bot_app,
    bot_http,
    bot_settings,
    count,
    message,
    photo,
    send,
)

__all__ = ["bot_app", "bot_http", "bot_settings"]  # fixtures, shared with their modules

CHAT = 7100


async def test_eight_albums_from_one_chat_make_one_ticket_with_every_photo(bot_http, db):
    updates = []
    for album in range(8):
        for n in range(3):
            content: dict[str, Any] = {"photo": photo(f"AgAC-one-chat-{album}-{n}")}
            if n == 0:
                content["caption"] = f"Свалка у гаражей, снимки {album}"
            updates.append(message(70_000 + album * 3 + n, CHAT, **content))
    responses = await asyncio.gather(*(send(bot_http, u) for u in updates))
    assert [r.status_code for r in responses] == [200] * 24
    texts = [r.json()["text"] for r in responses]
    created = [t for t in texts if t.startswith("Обращение принято")]
    assert len(created) == 1, texts
    number = created[0].split("номер ")[1].split(".")[0]
    assert sorted(texts) == sorted([created[0], *[f"Добавлено к обращению {number}."] * 23])
    async with db.sessionmaker() as session:
        (ticket,) = (await session.exec(select(Ticket))).all()
    assert ticket.number == number
    files = [a["telegram_file_id"] for a in ticket.attachments]
    assert sorted(files) == sorted(f"AgAC-one-chat-{a}-{n}" for a in range(8) for n in range(3))
    for album in range(8):  # every album's caption joined the report's text
        assert f"Свалка у гаражей, снимки {album}" in ticket.text
    assert await count(db, ChatbotUpdate) == 24
