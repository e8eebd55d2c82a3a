"""Honouring ``Idempotency-Key`` on POSTs that create or send something."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access import idempotency
from app.access.api_keys import Principal
from app.errors import ValidationFailed

IDEMPOTENCY_HEADER_DOC = (
    "Optional. A unique key per operation (max 200 chars); a retry with the same key and body "
    "returns the stored response; a different body → 422; while the first runs → 409."
)


async def run_idempotent(
    request: Request,
    *,
    key: str | None,
    principal: Principal,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    status_code: int,
    now: Any,
    action: Callable[[], Awaitable[BaseModel]],
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Run ``action`` at most once per (principal, key); replay its stored response after."""
    if key is None:
        result = await action()
        return JSONResponse(jsonable_encoder(result), status_code=status_code, headers=headers)
    if not key or len(key) > 200:
        raise ValidationFailed("Idempotency-Key must be 1-200 characters", field="Idempotency-Key")
    body = await request.body()
    request_hash = hashlib.sha256(request.url.path.encode() + b"\n" + body).hexdigest()
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    claimed = await idempotency.claim(
        sessionmaker,
        principal=principal.actor,
        key=key,
        request_hash=request_hash,
        now=now,
        ttl=ttl,
    )
    if isinstance(claimed, idempotency.Replay):
        return JSONResponse(
            claimed.body,
            status_code=claimed.status_code,
            headers={**(headers or {}), "Idempotent-Replayed": "true"},
        )
    try:
        result = await action()
        encoded = jsonable_encoder(result)
        await idempotency.complete(session, claimed, status_code=status_code, body=encoded, now=now)
        await session.flush()
    except BaseException:
        await idempotency.release(sessionmaker, claimed)
        raise
    return JSONResponse(encoded, status_code=status_code, headers=headers)
