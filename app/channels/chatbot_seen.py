"""One chat's updates one at a time, and each taken once.

Telegram delivers over up to 40 parallel webhook connections: an album is several updates at
once, and an update it got no 200 for comes again, possibly while the first is still being
handled. A transaction advisory lock on the chat's hash queues them (whatever process got
them), and the set of update ids a chat's reports took (``chatbot_updates``) says which were
already handled, in whatever order they came.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.chatbot import ChatbotUpdate
from app.models.tickets import Ticket

# Telegram re-sends an unanswered update for up to a day.
SEEN_UPDATES_KEPT = timedelta(days=2)

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


async def lock_chat(session: AsyncSession, digest: str) -> None:
    """Hold the chat's lock until this transaction ends: its updates queue here."""
    await session.exec(_LOCK, params={"key": f"chatbot-chat:{digest}"})  # type: ignore[call-overload]


async def taken_by(session: AsyncSession, digest: str, update_id: int) -> Ticket | None:
    """The report that already took this update of this chat, if any."""
    stmt = (
        select(Ticket)
        .join(ChatbotUpdate, col(ChatbotUpdate.ticket_id) == col(Ticket.id))
        .where(ChatbotUpdate.chat_hash == digest, ChatbotUpdate.update_id == update_id)
    )
    return (await session.exec(stmt)).first()


def remember(
    session: AsyncSession, digest: str, update_id: int, ticket_id: int, *, now: datetime
) -> None:
    """Record that the report ``ticket_id`` took this update."""
    session.add(
        ChatbotUpdate(chat_hash=digest, update_id=update_id, ticket_id=ticket_id, received_at=now)
    )


async def forget_old(session: AsyncSession, *, now: datetime) -> int:
    """Drop the update ids Telegram can no longer re-send; returns how many."""
    stmt = delete(ChatbotUpdate).where(col(ChatbotUpdate.received_at) < now - SEEN_UPDATES_KEPT)
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return int(result.rowcount or 0)
