"""Console sessions held in PostgreSQL: the browser carries only an opaque random id.

The row is keyed by the id's SHA-256 and read on every request, so ending a session (sign-out,
the user disabled, a new password) is seen by every api replica at once. A session ends after
``idle`` without a request and ``absolute`` after sign-in, however active.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.models.users import ConsoleSession

MAX_TOKEN = 128  # a longer cookie is not one we issued (ours are 43 characters)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Settings) -> SessionLimits:
        return cls(
            idle=timedelta(minutes=settings.console_session_idle_minutes),
            absolute=timedelta(hours=settings.console_session_hours),
        )


@dataclass(frozen=True)
class LiveSession:
    """A plain copy of a live session (safe to use after a rollback)."""

    user_id: int
    csrf: str


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    session: AsyncSession, user_id: int, *, now: datetime, limits: SessionLimits
) -> tuple[str, LiveSession]:
    """A new session for a signed-in user: its opaque id (for the cookie only) and its CSRF
    token. Sessions past their absolute end are swept here."""
    await session.exec(  # type: ignore[call-overload]
        delete(ConsoleSession).where(col(ConsoleSession.expires_at) <= now)
    )
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            id_hash=_key(token),
            user_id=user_id,
            csrf=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + limits.absolute,
        )
    )
    await session.flush()
    return token, LiveSession(user_id, csrf)


async def resume_session(
    session: AsyncSession, token: str | None, *, now: datetime, limits: SessionLimits
) -> LiveSession | None:
    """The live session behind a cookie, or None (unknown, ended, idle or past its end)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    row = await session.get(ConsoleSession, _key(token))
    if row is None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= limits.idle:
        await session.delete(row)
        return None
    if now - row.last_seen_at >= min(TOUCH_EVERY, limits.idle / 10):
        row.last_seen_at = now
    return LiveSession(row.user_id, row.csrf)


async def end_session(session: AsyncSession, token: str | None) -> None:
    """Sign-out: the session behind this cookie ends (nothing happens for an unknown one)."""
    if token and len(token) <= MAX_TOKEN:
        await session.exec(  # type: ignore[call-overload]
            delete(ConsoleSession).where(col(ConsoleSession.id_hash) == _key(token))
        )


async def end_user_sessions(session: AsyncSession, user_id: int) -> None:
    """Every session of a user ends (disabled, a new password)."""
    await session.exec(  # type: ignore[call-overload]
        delete(ConsoleSession).where(col(ConsoleSession.user_id) == user_id)
    )
