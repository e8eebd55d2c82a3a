"""One ticket's messages to one target go in the order they were queued (issue 23, outside
tester's F8): the relay once sent a chat-bot ticket's final answer, with «Проблема решена?»,
before its earlier «в работе» that had failed once. A later message waits while an earlier one
of the same ticket and target is pending or retrying; a dead earlier one holds nothing back."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import col, select

from app.models.outbox import OutboxMessage
from app.models.tickets import Ticket
from app.workers.relay import Relay
from tests.api.test_chatbot import CHAT_ID, bot_client, bot_settings, send, update
from tests.integration.test_outbox_relay import (
    FakeSource,
    answer,
    messages,
    now,
    pos_ticket,
    settings,
)
from tests.support.builders import auth, make_key

__all__ = ["bot_client", "bot_settings", "now"]  # fixtures, shared with their modules


class FlakyBotApi:
    """The Bot API: the first ``fail`` sendMessage calls get the given status, the rest 200."""

    def __init__(self, *fail: int) -> None:
        self.fail = list(fail)
        self.delivered: list[str] = []
        self.refused: list[str] = []

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            text = json.loads(request.content)["text"]
            if self.fail:
                self.refused.append(text)
                return httpx.Response(self.fail.pop(0), json={"ok": False})
            self.delivered.append(text)
            return httpx.Response(200, json={"ok": True, "result": {"message_id": 1}})

        return httpx.MockTransport(handle)


async def chatbot_ticket_in_progress_then_answered(bot_client, db) -> str:  # type: ignore[no-untyped-def]
    """A chat-bot report, taken to work, then answered: «в работе» and the answer are queued."""
    reply = (await send(bot_client, update(text="Во дворе дома 3 разбит фонарь"))).json()
    assert reply["chat_id"] == CHAT_ID
    number = reply["text"].split("номер ")[1].split(".")[0]
    async with db.sessionmaker() as session:
        ticket = (await session.exec(select(Ticket).where(Ticket.number == number))).one()
    operator = auth(await make_key(db, "operator", ticket.department_code))
    url = f"/api/v1/tickets/{ticket.id}"
    moved = await bot_client.post(
        f"{url}/transitions", json={"to": "in_progress"}, headers=operator
    )
    assert moved.status_code == 200, moved.text
    answered = await bot_client.post(
        f"{url}/answers", json={"text": "Фонарь заменён.", "kind": "final"}, headers=operator
    )
    assert answered.status_code == 201, answered.text
    queued = [(m.kind, m.state) for m in await messages(db)]
    assert queued == [("status", "pending"), ("answer", "pending")]
    return number


async def test_the_answer_waits_for_the_in_progress_that_failed_once(bot_client, db, bot_settings):
    number = await chatbot_ticket_in_progress_then_answered(bot_client, db)
    bot = FlakyBotApi(502)
    relay = Relay(db, settings=bot_settings, transport=bot.transport())
    now = datetime.now(UTC) + timedelta(minutes=1)  # outbox rows use wall time
    assert await relay.run_once(now) == 1  # «в работе» fails; the answer is not even claimed
    assert bot.refused == [f"Обращение {number}: в работе."] and bot.delivered == []
    status, final = await messages(db)
    assert (status.state, status.attempts, final.state, final.attempts) == (
        "pending",
        1,
        "pending",
        0,
    )
    # Due again: «в работе» goes first, then, in the same pass, the answer with its buttons.
    assert await relay.run_once(status.next_attempt_at) == 2
    await relay.aclose()
    assert bot.delivered[0] == f"Обращение {number}: в работе."
    assert "Фонарь заменён." in bot.delivered[1]
    assert [m.state for m in await messages(db)] == ["sent", "sent"]


async def test_a_dead_earlier_message_holds_nothing_back(bot_client, db, bot_settings):
    """400 is final: «в работе» is dead-lettered for an operator; the chat still gets the
    answer in the same pass rather than never."""
    await chatbot_ticket_in_progress_then_answered(bot_client, db)
    bot = FlakyBotApi(400)
    relay = Relay(db, settings=bot_settings, transport=bot.transport())
    assert await relay.run_once(datetime.now(UTC) + timedelta(minutes=1)) == 2
    await relay.aclose()
    assert len(bot.refused) == 1 and len(bot.delivered) == 1
    assert "Фонарь заменён." in bot.delivered[0]
    assert [m.state for m in await messages(db)] == ["dead", "sent"]


async def test_order_is_per_ticket_and_target_only(now, client, db):
    """Another ticket's message does not wait for this one's."""
    first = await pos_ticket(db, source_id="563200001")
    second = await pos_ticket(db, source_id="563200002")
    await answer(client, db, first, kind="interim")
    await answer(client, db, first)
    await answer(client, db, second)
    source = FakeSource(httpx.Response(503, headers={"Retry-After": "60"}))
    relay = Relay(db, settings=settings(), transport=source.transport())
    assert await relay.run_once(now) == 2  # first's interim (retrying) and second's answer
    by_ticket = {(m.ticket_id, m.kind): m.state for m in await messages(db)}
    assert by_ticket == {
        (first.id, "interim_answer"): "pending",
        (first.id, "answer"): "pending",
        (second.id, "answer"): "sent",
    }
    async with db.sessionmaker() as session:
        waiting = (
            await session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.ticket_id == first.id, OutboxMessage.kind == "answer"
                )
            )
        ).one()
    assert waiting.attempts == 0  # never claimed while the interim one was retrying
    assert await relay.run_once(now + timedelta(seconds=60)) == 2
    interim, final = (m.idempotency_id for m in await messages(db) if m.ticket_id == first.id)
    sent = [r.headers["webhook-id"] for r in source.requests if b"563200001" in r.url.raw_path]
    assert sent == [interim, interim, final]


async def test_two_relays_keep_one_tickets_order(now, client, db):
    """Two relays at once never split one ticket's queue between them."""
    tickets = [await pos_ticket(db, source_id=str(563300000 + n)) for n in range(4)]
    for ticket in tickets:
        await answer(client, db, ticket, kind="interim")
        await answer(client, db, ticket)
    order: list[str] = []

    async def record(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["type"] == "interim_answer":
            await asyncio.sleep(0.05)  # sent together, the final answer would land first
        order.append(request.headers["webhook-id"])
        return httpx.Response(200)

    s = settings(outbox_batch_size=2)
    one = Relay(db, settings=s, transport=httpx.MockTransport(record))
    two = Relay(db, settings=s, transport=httpx.MockTransport(record))
    counts = await asyncio.gather(one.run_once(now), two.run_once(now))
    assert sum(counts) == 8
    async with db.sessionmaker() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    for ticket in tickets:
        mine = [m.idempotency_id for m in rows if m.ticket_id == ticket.id]
        assert [i for i in order if i in mine] == mine
