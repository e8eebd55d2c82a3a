"""The chat-bot's private return address: a report's chat, unsealed when the outbox relay sends,
so the chat id is never written into the outbox (only the report's ticket is named there).
What the citizen reads is the Telegram connector's (``app.connectors.telegram.outbound``)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.channels.chatbot_privacy import unseal
from app.config import Settings
from app.connectors.base import Contact
from app.models.chatbot import ChatbotReport
from app.models.outbox import OutboxMessage


async def contact_for(
    session: AsyncSession, message: OutboxMessage, settings: Settings
) -> Contact | None:
    """The chat of the report this message is about; None when purged (or not a report)."""
    if message.ticket_id is None:
        return None
    report = (
        await session.exec(
            select(ChatbotReport).where(ChatbotReport.ticket_id == message.ticket_id)
        )
    ).first()
    chat_id = unseal(settings, report.chat_sealed) if report is not None else None
    return Contact(chat_id) if chat_id is not None else None
