"""Public ticket numbers (``SD-2026-000123``) from one sequence, taken ahead for a batch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import settings_of

_NUMBERS = "ticket_numbers"  # session.info: sequence values taken ahead for a batch


async def reserve_ticket_numbers(session: AsyncSession, count: int) -> None:
    """Have ``count`` sequence values at hand for the tickets this transaction is about to make,
    taking what is missing in one round trip (unused ones are gaps, as any rolled-back nextval
    is)."""
    reserved: list[int] = session.info.setdefault(_NUMBERS, [])
    missing = count - len(reserved)
    if missing <= 0:
        return
    rows = await session.exec(  # type: ignore[call-overload]
        text("SELECT nextval('ticket_number_seq') FROM generate_series(1, :n)"),
        params={"n": missing},
    )
    reserved.extend(r[0] for r in rows.all())
    reserved.sort(reverse=True)


async def next_ticket_number(session: AsyncSession, *, created_at: datetime) -> str:
    """The public number, e.g. ``SD-2026-000123`` (year in the city's time zone)."""
    settings = settings_of(session)
    reserved: list[int] = session.info.get(_NUMBERS) or []
    if reserved:
        seq = reserved.pop()
    else:
        seq = (await session.exec(text("SELECT nextval('ticket_number_seq')"))).one()[0]  # type: ignore[call-overload]
    year = created_at.astimezone(settings.tz).year
    return f"{settings.ticket_number_prefix}-{year}-{seq:06d}"
