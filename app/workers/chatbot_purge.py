"""Purging the chat-bot's sealed chat ids after closure, and the update ids Telegram can no
longer re-send (idempotent; any worker may run it)."""

from __future__ import annotations

import logging
from datetime import datetime

from app.channels.chatbot_privacy import purge_closed
from app.channels.chatbot_seen import forget_old
from app.db import Database

log = logging.getLogger(__name__)


async def run_chatbot_purge(db: Database, now: datetime) -> None:
    """Forget chat ids of anonymous reports closed longer than the retention."""
    async with db.sessionmaker() as session:
        purged = await purge_closed(
            session, now=now, retention_days=db.settings.telegram_chat_retention_days
        )
        await forget_old(session, now=now)
        await session.commit()
    if purged:
        log.info("chat-bot chat ids purged: %d", purged)
