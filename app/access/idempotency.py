"""Idempotency-Key bookkeeping: claim a key, replay its stored outcome, or refuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, ValidationFailed
from app.models.idempotency import IdempotencyRecord

# A claim whose request never finished (the process died) is released after this long.
STALE_CLAIM = timedelta(minutes=2)


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: Any


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    principal: str,
    key: str,
    request_hash: str,
    now: datetime,
    ttl: timedelta,
) -> int | Replay:
    """Claim the key in its own transaction; return the claim id or the stored outcome."""
    async with sessionmaker() as session:
        await session.exec(  # type: ignore[call-overload]
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.principal) == principal,
                col(IdempotencyRecord.key) == key,
                (col(IdempotencyRecord.created_at) < now - ttl)
                | (
                    col(IdempotencyRecord.completed_at).is_(None)
                    & (col(IdempotencyRecord.created_at) < now - STALE_CLAIM)
                ),
            )
        )
        inserted = (
            await session.exec(  # type: ignore[call-overload]
                insert(IdempotencyRecord)
                .values(principal=principal, key=key, request_hash=request_hash, created_at=now)
                .on_conflict_do_nothing(constraint="uq_idempotency_principal_key")
                .returning(col(IdempotencyRecord.id))
            )
        ).first()
        await session.commit()
        if inserted is not None:
            return int(inserted[0])
        record = (
            await session.exec(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                )
            )
        ).one()
    if record.request_hash != request_hash:
        raise ValidationFailed(
            "this Idempotency-Key was already used with a different request body",
            field="Idempotency-Key",
        )
    if record.completed_at is None or record.status_code is None:
        raise Conflict("a request with this Idempotency-Key is still being processed")
    return Replay(record.status_code, record.response_body)


async def complete(
    session: AsyncSession, claim_id: int, *, status_code: int, body: Any, now: datetime
) -> None:
    """Store the outcome in the same transaction as the effect."""
    await session.exec(  # type: ignore[call-overload]
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.id) == claim_id)
        .values(status_code=status_code, response_body=body, completed_at=now)
    )


async def release(sessionmaker: async_sessionmaker[AsyncSession], claim_id: int) -> None:
    """Drop a claim whose request failed, so the client can retry with the same key."""
    async with sessionmaker() as session:
        await session.exec(  # type: ignore[call-overload]
            delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == claim_id)
        )
        await session.commit()
