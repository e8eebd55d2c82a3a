"""The incident page's forms: confirm, dismiss (with a reason), split (the tickets ticked),
link a ticket by its number, unlink one, publish an interim or final message.

Each calls the same service as the API (``app.incidents.service``) and redirects back (303)
with ``?done=``; a refusal shows the page again (422) with the Russian reason and what was
typed. A final message closes the incident and answers every citizen for good, so, like a
final answer on a ticket, it needs its confirmation box ticked. Every form carries the
session's CSRF token (checked before anything else)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.deps import NowDep, RowId, SessionDep
from app.console.deps import Console, ConsoleDep, back_to, not_found_page, require_csrf
from app.console.duplicate_view import visible_by_number
from app.console.forms import Text, Texts
from app.console.incidents_page import may_see_incidents, show_incident
from app.console.redisplay import Unconfirmed
from app.console.refusals import refusal
from app.errors import AppError, NotFound
from app.incidents import service
from app.models.incidents import (
    IncidentConfirm,
    IncidentDismiss,
    IncidentMessageCreate,
    IncidentSplit,
)

router = APIRouter(
    prefix="/console/incidents/{incident_id}",
    include_in_schema=False,
    dependencies=[Depends(require_csrf)],
)

# The incident service's refusals in Russian (its English details, first match wins).
REFUSED = (
    (r"in another incident", "Обращение уже входит в другой инцидент: сначала отвяжите его там."),
    (r"cannot confirm", "Подтвердить можно только предполагаемый инцидент."),
    (r"cannot dismiss", "Отклонить можно только предполагаемый или подтверждённый инцидент."),
    (r"cannot publish", "Сообщение публикуется по подтверждённому инциденту: сначала подтвердите."),
    (r"cannot (split|link)", "Инцидент закрыт: обращения в нём больше не меняются."),
    (r"not linked to the incident", "Выбранные обращения не привязаны к этому инциденту."),
    (r"leaves at least one", "В инциденте должно остаться хотя бы одно обращение."),
    (r"changed since you read", "Инцидент изменился: обновите страницу и повторите."),
)


class IncidentForm(BaseModel):
    """Every incident form's fields (each form sends the ones it has)."""

    title: Text = None
    reason: Text = None
    number: Text = None
    text: Text = None
    kind: Text = None
    confirm: Text = None
    ticket_ids: Texts = []

    def ids(self) -> list[int]:
        ids = [int(v) for v in self.ticket_ids if v.isdigit() and 0 < int(v) < 2**63]
        if not ids:
            raise Unconfirmed("Отметьте обращения.")
        return ids


IncidentFormDep = Annotated[IncidentForm, Form()]


def _russian(exc: Exception) -> str:
    if isinstance(exc, AppError):
        for pattern, text in REFUSED:
            if re.search(pattern, exc.detail):
                return text
    return refusal(exc)


async def _run(
    request: Request,
    session: AsyncSession,
    console: Console,
    incident_id: int,
    form: IncidentForm,
    now: Any,
    done: str,
    work: Callable[[], Awaitable[object]],
    *,
    go_to: Callable[[object], int] | None = None,
) -> Response:
    if not may_see_incidents(console):
        return not_found_page(request, console)
    try:
        result = await work()
    except NotFound:
        await session.rollback()
        return not_found_page(request, console)
    except (AppError, ValidationError, Unconfirmed) as exc:
        await session.rollback()
        typed = {k: v for k, v in form.model_dump().items() if isinstance(v, str)}
        return await show_incident(
            request, session, console, incident_id, now,
            error=_russian(exc), typed=typed, status_code=422,
        )  # fmt: skip
    target = go_to(result) if go_to else incident_id
    return back_to(f"/console/incidents/{target}", done=done)


@router.post("/confirm")
async def confirm(
    request: Request, incident_id: RowId, session: SessionDep, console: ConsoleDep,
    now: NowDep, form: IncidentFormDep,
) -> Response:  # fmt: skip
    async def work() -> object:
        data = IncidentConfirm(title=form.title)
        return await service.confirm_incident(
            session, incident_id, data, principal=console.principal, if_match=None, now=now
        )

    return await _run(request, session, console, incident_id, form, now, "confirmed", work)


@router.post("/dismiss")
async def dismiss(
    request: Request, incident_id: RowId, session: SessionDep, console: ConsoleDep,
    now: NowDep, form: IncidentFormDep,
) -> Response:  # fmt: skip
    async def work() -> object:
        if not form.reason:
            raise Unconfirmed("Укажите, почему это не один инцидент.")
        data = IncidentDismiss(reason=form.reason)
        return await service.dismiss_incident(
            session, incident_id, data, principal=console.principal, if_match=None, now=now
        )

    return await _run(request, session, console, incident_id, form, now, "dismissed", work)


@router.post("/split")
async def split(
    request: Request, incident_id: RowId, session: SessionDep, console: ConsoleDep,
    now: NowDep, form: IncidentFormDep,
) -> Response:  # fmt: skip
    async def work() -> object:
        data = IncidentSplit(ticket_ids=form.ids(), title=form.title)
        return await service.split_incident(
            session, incident_id, data, principal=console.principal, if_match=None, now=now
        )

    def child(result: object) -> int:
        return getattr(result, "id", None) or incident_id

    return await _run(request, session, console, incident_id, form, now, "split", work, go_to=child)


@router.post("/link")
async def link(
    request: Request, incident_id: RowId, session: SessionDep, console: ConsoleDep,
    now: NowDep, form: IncidentFormDep,
) -> Response:  # fmt: skip
    async def work() -> object:
        ticket_id = await visible_by_number(session, console.principal, form.number or "")
        return await service.link_tickets(
            session, incident_id, [ticket_id], principal=console.principal, if_match=None, now=now
        )

    return await _run(request, session, console, incident_id, form, now, "linked", work)


@router.post("/unlink")
async def unlink(
    request: Request, incident_id: RowId, session: SessionDep, console: ConsoleDep,
    now: NowDep, form: IncidentFormDep,
) -> Response:  # fmt: skip
    async def work() -> object:
        return await service.unlink_tickets(
            session, incident_id, form.ids(), principal=console.principal, if_match=None, now=now
        )

    return await _run(request, session, console, incident_id, form, now, "unlinked", work)


def _message(form: IncidentForm) -> IncidentMessageCreate:
    if form.kind not in ("interim", "final"):
        raise Unconfirmed("Выберите вид сообщения: промежуточное или окончательное.")
    if form.kind == "final" and not form.confirm:
        raise Unconfirmed(
            "Окончательное сообщение закрывает инцидент и даёт окончательный ответ по каждому "
            "обращению, отменить его нельзя. Проверьте текст и отметьте «Я подтверждаю: "
            "сообщение окончательное»."
        )
    if not form.text:
        raise Unconfirmed("Напишите текст сообщения.")
    return IncidentMessageCreate.model_validate({"kind": form.kind, "text": form.text})


@router.post("/message")
async def publish(
    request: Request, incident_id: RowId, session: SessionDep, console: ConsoleDep,
    now: NowDep, form: IncidentFormDep,
) -> Response:  # fmt: skip
    async def work() -> object:
        return await service.publish_message(
            session, incident_id, _message(form), principal=console.principal, if_match=None,
            now=now,
        )  # fmt: skip

    return await _run(request, session, console, incident_id, form, now, "published", work)
