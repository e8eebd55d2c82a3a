"""The chat-bot's anonymity: a keyed hash links a chat's reports, the chat id is sealed at rest
(Fernet) and purged a set time after the report is closed."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.errors import ServiceUnavailable


def _keys(settings: Settings) -> tuple[bytes, Fernet]:
    if not settings.telegram_chat_hash_key or not settings.telegram_chat_encryption_key:
        raise ServiceUnavailable(
            "the chat-bot is not configured (APPEALS_TELEGRAM_CHAT_HASH_KEY, "
            "APPEALS_TELEGRAM_CHAT_ENCRYPTION_KEY)",
            retry_after=300,
        )
    return settings.telegram_chat_hash_key.encode(), Fernet(settings.telegram_chat_encryption_key)


def chat_hash(settings: Settings, chat_id: int) -> str:
    """HMAC-SHA256 of the chat id under a secret key: links follow-ups, reveals nothing."""
    key, _ = _keys(settings)
    return hmac.new(key, str(chat_id).encode(), hashlib.sha256).hexdigest()


def seal(settings: Settings, chat_id: int) -> str:
    _, fernet = _keys(settings)
    return fernet.encrypt(str(chat_id).encode()).decode()


def unseal(settings: Settings, sealed: str | None) -> int | None:
    """The chat id, or None when purged or sealed under a key no longer configured."""
    if not sealed:
        return None
    _, fernet = _keys(settings)
    try:
        return int(fernet.decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        return None


_PURGE = text(
    "UPDATE chatbot_reports r SET chat_sealed = NULL, purged_at = :now FROM tickets t "
    "WHERE r.ticket_id = t.id AND r.chat_sealed IS NOT NULL "
    "AND t.status IN ('closed', 'rejected', 'merged') "
    "AND COALESCE(t.closed_at, t.updated_at) <= :cutoff"
)


async def purge_closed(session: AsyncSession, *, now: datetime, retention_days: float) -> int:
    """Forget the chat ids of reports closed longer than the retention; returns how many."""
    cutoff = now - timedelta(days=retention_days)
    result = await session.exec(_PURGE, params={"now": now, "cutoff": cutoff})  # type: ignore[call-overload]
    return int(result.rowcount or 0)
