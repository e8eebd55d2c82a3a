"""Console forms for the team's own notes on a ticket: an internal comment, the assignee.

Both call the same services as the API (``app.tickets.actions``); a refused form comes back
filled in (``console.redisplay``). The assignee is chosen among the enabled console users of
the ticket's department, by name; the ticket stores the name, as the API does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.deps import NowDep, RowId, SessionDep
from app.console.deps import ConsoleDep, back_to, not_found_page, require_csrf
from app.console.forms import Text
from app.console.redisplay import Unconfirmed, ticket_again
from app.console.refusals import refusal
from app.errors import AppError, NotFound
from app.models.schemas import AssignmentRequest, CommentCreate
from app.models.users import ConsoleUser
from app.tickets import actions as ticket_actions

router = APIRouter(
    prefix="/console/tickets/{ticket_id}",
    include_in_schema=False,
    dependencies=[Depends(require_csrf)],
)


class CommentForm(BaseModel):
    text: Text = None


class AssignForm(BaseModel):
    assignee: Text = None  # blank: nobody


async def assignees(session: AsyncSession, department: str | None) -> list[str]:
    """The names of the department's enabled console users (the login when unnamed)."""
    if department is None:
        return []
    rows = await session.exec(
        select(ConsoleUser.name, ConsoleUser.login)
        .where(ConsoleUser.department_code == department, col(ConsoleUser.disabled_at).is_(None))
        .order_by(ConsoleUser.name, ConsoleUser.login)
    )
    return [name or login for name, login in rows.all()]


@router.post("/comment")
async def comment(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[CommentForm, Form()],
    now: NowDep,
) -> Response:
    try:
        if not data.text:
            raise Unconfirmed("Напишите текст комментария.")
        body = CommentCreate(text=data.text)
        await ticket_actions.add_comment(
            session, ticket_id, text=body.text, principal=console.principal, now=now
        )
    except NotFound:
        await session.rollback()
        return not_found_page(request, console)
    except (AppError, ValidationError, Unconfirmed) as exc:
        await session.rollback()
        return await ticket_again(request, session, console, ticket_id, refusal(exc))
    return back_to(f"/console/tickets/{ticket_id}", done="commented")


@router.post("/assign")
async def assign(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[AssignForm, Form()],
    now: NowDep,
) -> Response:
    try:
        body = AssignmentRequest(assignee=data.assignee)
        await ticket_actions.assign_ticket(
            session, ticket_id, body, principal=console.principal, now=now
        )
    except NotFound:
        await session.rollback()
        return not_found_page(request, console)
    except (AppError, ValidationError) as exc:
        await session.rollback()
        return await ticket_again(request, session, console, ticket_id, refusal(exc))
    return back_to(f"/console/tickets/{ticket_id}", done="assigned")
