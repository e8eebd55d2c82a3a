"""What the outbox relay sends to a chat-bot report's chat: resolved at send time, so the chat
id is never written into the outbox (only the report's ticket is named there)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.channels.chatbot import STATUS_WORDS
from app.channels.chatbot_privacy import unseal
from app.config import Settings
from app.connectors.telegram.bot_api import OutgoingMessage, yes_no_keyboard
from app.models.chatbot import ChatbotReport
from app.models.outbox import OutboxMessage


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


async def telegram_message(
    session: AsyncSession, message: OutboxMessage, settings: Settings
) -> OutgoingMessage | None:
    """The sendMessage for this outbox row, or None when the chat was purged (or is unknown)."""
    if message.ticket_id is None:
        return None
    report = (
        await session.exec(
            select(ChatbotReport).where(ChatbotReport.ticket_id == message.ticket_id)
        )
    ).first()
    chat_id = unseal(settings, report.chat_sealed) if report is not None else None
    if chat_id is None:
        return None
    markup = None
    if message.kind == "answer" and message.payload.get("answer_kind") == "final":
        markup = yes_no_keyboard(message.ticket_id)
        text = message_text(message) + "\n\nПроблема решена?"
    else:
        text = message_text(message)
    return OutgoingMessage(chat_id, text, markup)
