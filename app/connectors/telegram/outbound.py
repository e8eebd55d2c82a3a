"""What goes back to the chat-bot's citizen: the words for each outbox message, sent through
the Bot API to the report's chat. The chat id is never in the outbox: the chat-bot channel
resolves it when the message is sent and hands it over as a ``Contact``."""

from __future__ import annotations

from functools import partial

import httpx

from app.connectors.base import Contact, Send
from app.connectors.telegram.bot_api import OutgoingMessage, TelegramBotClient, yes_no_keyboard
from app.models.common import Status
from app.models.outbox import OutboxMessage, OutboxTarget

# Our statuses the citizen hears of; the chat-bot has no codes of its own, so they are ours.
STATUS_CODES = {
    s.value: s.value for s in (Status.in_progress, Status.on_hold, Status.rejected, Status.closed)
}
# How the chat-bot words a status (also in its /status answer).
STATUS_WORDS = {
    "new": "принято",
    "routed": "передано в ответственный отдел",
    "in_progress": "в работе",
    "on_hold": "приостановлено",
    "answered": "дан ответ",
    "closed": "закрыто",
    "rejected": "отклонено",
    "merged": "объединено с похожим обращением",
}


def message_text(message: OutboxMessage) -> str:
    """The words the citizen reads for an outbox message about their report."""
    p = message.payload
    number = p.get("ticket_number", "")
    if message.kind == "answer":
        return f"Ответ по обращению {number}:\n\n{p.get('text', '')}"
    if message.kind == "interim_answer":
        return f"Промежуточный ответ по обращению {number}:\n\n{p.get('text', '')}"
    if message.kind == "status":
        words = STATUS_WORDS.get(str(p.get("status")), str(p.get("status")))
        text = f"Обращение {number}: {words}."
        if p.get("status") == "rejected" and p.get("reason"):
            text += f"\nПричина: {p['reason']}"
        return text
    return f"Новости по обращению {number}."


def outgoing(message: OutboxMessage, contact: Contact) -> OutgoingMessage:
    """The sendMessage for one outbox message; a final answer asks «Проблема решена?»."""
    if (
        message.kind == "answer"
        and message.payload.get("answer_kind") == "final"
        and message.ticket_id is not None
    ):
        text = message_text(message) + "\n\nПроблема решена?"
        return OutgoingMessage(contact.chat_id, text, yes_no_keyboard(message.ticket_id))
    return OutgoingMessage(contact.chat_id, message_text(message))


class TelegramOutbound:
    """The chat-bot's side of the answers: its target and the statuses it tells."""

    target = OutboxTarget.telegram.value

    def source_status(self, status: str, *, redirect_to: str | None) -> str | None:
        return STATUS_CODES.get(status)

    def sender(
        self,
        *,
        api_url: str,
        token: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> TelegramSender:
        client = TelegramBotClient(
            api_url=api_url, token=token, timeout=timeout, transport=transport
        )
        return TelegramSender(client)


class TelegramSender:
    """Sends outbox messages to a report's chat (an ``OutboundSender`` that needs a contact)."""

    health_name = OutboxTarget.telegram.value
    needs_contact = True

    def __init__(self, client: TelegramBotClient) -> None:
        self.client = client

    def prepare(self, message: OutboxMessage, contact: Contact | None) -> Send | None:
        if contact is None:
            return None  # the chat was purged, or the ticket is not a report
        return partial(
            self.client.send, outgoing(message, contact), message_id=message.idempotency_id
        )

    async def aclose(self) -> None:
        await self.client.aclose()


OUTBOUND = TelegramOutbound()
