"""Deadlines in plain Russian: «осталось 2 ч 15 мин», «просрочено на 3 ч»."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.models.common import OPEN_STATUSES, Status
from app.models.tickets import Ticket


def duration_ru(seconds: float) -> str:
    """«3 дн 4 ч», «2 ч 15 мин», «12 мин», «меньше минуты»."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} дн {hours} ч" if hours else f"{days} дн"
    if hours:
        return f"{hours} ч {mins} мин" if mins else f"{hours} ч"
    if mins:
        return f"{mins} мин"
    return "меньше минуты"


def deadline_state(ticket: Ticket, now: datetime) -> tuple[str, str]:
    """(css state, text): breached / risk / ok / none / done."""
    due = ticket.resolution_due_at
    if Status(ticket.status) not in OPEN_STATUSES:
        finished = ticket.answered_at or ticket.closed_at
        late = due is not None and finished is not None and finished > due
        return "done", "ответ дан после срока" if late else "не в работе"
    if due is None:
        return "none", "срок не установлен"
    left = (due - now).total_seconds()
    if left < 0:
        return "breached", f"просрочено на {duration_ru(left)}"
    text = f"осталось {duration_ru(left)}"
    if Status(ticket.status) == Status.on_hold:
        text += " (срок на паузе)"
    risk = ticket.resolution_risk_at
    if risk is None and ticket.created_at is not None:
        risk = ticket.created_at + (due - ticket.created_at) * 0.75
    if risk is not None and now >= risk:
        return "risk", text
    return "ok", text


def local_time(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return "—"
    return value.astimezone(tz).strftime("%d.%m.%Y %H:%M")
