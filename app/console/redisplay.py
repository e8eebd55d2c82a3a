"""A refused form comes back as the page it was sent from, with what was typed and why.

A console form that fails (a domain refusal, a field left out, a step not confirmed) is not
redirected: the ticket page is rendered again (422) with the Russian reason at the top and the
failed form's fields filled with what the person typed, so nothing typed is lost."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.deps import get_now
from app.console.deps import Console
from app.console.typed import typed_of

# What the top of the page says failed, by the form's action (the last part of its path).
FAILED = {
    "answer": "Ответ не отправлен",
    "hold": "Обращение не приостановлено",
    "reject": "Обращение не отклонено",
    "return": "Обращение не возвращено",
    "extend": "Срок не продлён",
    "merge": "Обращения не объединены",
    "route": "Обращение не направлено",
    "take": "Обращение не взято в работу",
    "comment": "Комментарий не сохранён",
    "assign": "Исполнитель не назначен",
}


class Unconfirmed(Exception):
    """A form the console itself refuses (a required choice or confirmation is missing); its
    message is the Russian text the page shows."""


async def ticket_again(
    request: Request, session: AsyncSession, console: Console, ticket_id: int, reason: str
) -> Response:
    """The ticket page again, with ``reason`` and the typed fields of the failed form."""
    from app.console.routes import ticket_page  # the page's handler (routes imports no actions)

    typed = await typed_of(request)
    head = FAILED.get(typed.action)
    request.state.console_typed = typed
    request.state.console_error = f"{head}. {reason}" if head else reason
    now = await get_now(request)
    response = await ticket_page(
        request=request, ticket_id=ticket_id, session=session, console=console, now=now
    )
    if response.status_code == 200:
        response.status_code = 422
    return response
