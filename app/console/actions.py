"""Console forms that change a ticket; each calls one service and redirects back (303).

Every form here carries the session's CSRF token (checked by the router's dependency before
anything else); its fields arrive as a Form model from ``console.forms``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.deps import NowDep, RowId, SessionDep
from app.console import handover
from app.console.confirm import answer_confirmed, merge_request
from app.console.deps import ConsoleDep, back_to, not_found_page, require_csrf
from app.console.forms import (
    AnswerForm,
    ExtendForm,
    MergeForm,
    ReasonForm,
    RejectForm,
    ReturnForm,
    RouteForm,
    SstuRows,
)
from app.console.redisplay import Unconfirmed, ticket_again
from app.console.refusals import refusal
from app.dedup import actions as duplicates
from app.errors import (
    AppError,
    Conflict,
    Forbidden,
    IllegalTransition,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from app.models.common import Status
from app.models.tickets import Ticket
from app.routing import rerouting
from app.sla import extension as sla_actions
from app.sstu import service as sstu
from app.tickets import actions as ticket_actions

router = APIRouter(
    prefix="/console/tickets/{ticket_id}",
    include_in_schema=False,
    dependencies=[Depends(require_csrf)],
)


def _why(exc: Exception) -> dict[str, str]:
    """The redirect's ``error`` code and ``field`` names: the page shows fixed texts for them
    (``labels.error_message``), never words carried in the URL."""
    if isinstance(exc, ValidationError):
        fields = [str(e["loc"][-1]) for e in exc.errors() if e.get("loc")]
        return {"error": "form", "field": ",".join(fields)}
    if isinstance(exc, ValidationFailed):
        return {"error": "form", "field": str(exc.extra.get("field") or "")}
    if isinstance(exc, IllegalTransition):
        return {"error": "transition"}
    if isinstance(exc, Conflict | PreconditionFailed):
        return {"error": "conflict"}
    if isinstance(exc, Forbidden):
        return {"error": "forbidden"}
    if isinstance(exc, Unconfirmed):
        return {"error": "unconfirmed"}
    return {"error": "failed"}


async def _run(
    request: Request,
    session: AsyncSession,
    console: Any,
    ticket_id: int,
    done: str,
    work: Callable[[], Awaitable[object]],
) -> Response:
    page = f"/console/tickets/{ticket_id}"
    try:
        await work()
    except NotFound:
        await session.rollback()
        return not_found_page(request, console)
    except (AppError, ValidationError, Unconfirmed) as exc:
        # The page again with what was typed and why (never a redirect that loses the text).
        await session.rollback()
        return await ticket_again(request, session, console, ticket_id, refusal(exc))
    return back_to(page, done=done)


async def _transition(
    request: Request,
    ticket_id: int,
    session: AsyncSession,
    console: Any,
    data: ReasonForm,
    now: Any,
    *,
    to: Status,
    done: str,
) -> Response:
    async def work() -> object:
        return await ticket_actions.transition_ticket(
            session,
            ticket_id,
            data.transition(to),
            principal=console.principal,
            if_match=None,
            now=now,
        )

    return await _run(request, session, console, ticket_id, done, work)


@router.post("/take")
async def take(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[ReasonForm, Form()],
    now: NowDep,
) -> Response:
    return await _transition(
        request, ticket_id, session, console, data, now, to=Status.in_progress, done="taken"
    )


@router.post("/hold")
async def hold(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[ReasonForm, Form()],
    now: NowDep,
) -> Response:
    return await _transition(
        request, ticket_id, session, console, data, now, to=Status.on_hold, done="held"
    )


@router.post("/answer")
async def answer(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[AnswerForm, Form()],
    now: NowDep,
) -> Response:
    async def work() -> object:
        answer_confirmed(data)
        await _store_sstu(session, ticket_id, data, console, now)
        return await ticket_actions.add_answer(
            session, ticket_id, data.request(), principal=console.principal, now=now
        )

    return await _run(request, session, console, ticket_id, "answered", work)


@router.post("/reject")
async def reject(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[RejectForm, Form()],
    now: NowDep,
) -> Response:
    async def work() -> object:
        await _store_sstu(session, ticket_id, data, console, now)
        return await ticket_actions.transition_ticket(
            session, ticket_id, data.request(), principal=console.principal, if_match=None, now=now
        )

    return await _run(request, session, console, ticket_id, "rejected", work)


async def _store_sstu(
    session: AsyncSession, ticket_id: int, data: SstuRows, console: Any, now: Any
) -> None:
    """The 59-ФЗ appeal's questions and outcomes the form carries, stored before the answer or
    rejection that needs them (one transaction: a refusal of either stores nothing)."""
    update = data.sstu_update()
    if update is not None:
        await sstu.update_appeal(session, ticket_id, update, principal=console.principal, now=now)


@router.post("/return")
async def return_(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[ReturnForm, Form()],
    now: NowDep,
) -> Response:
    moved: list[Ticket] = []

    async def work() -> object:
        moved.append(
            await rerouting.return_ticket(
                session,
                ticket_id,
                data.request(),
                principal=console.principal,
                if_match=None,
                now=now,
            )
        )
        return moved[-1]

    # Done: the inbox says where it went (the ticket is out of the operator's sight).
    return handover.to_inbox(
        await _run(request, session, console, ticket_id, "returned", work), moved
    )


@router.post("/extend")
async def extend(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[ExtendForm, Form()],
    now: NowDep,
) -> Response:
    async def work() -> object:
        return await sla_actions.extend_deadline(
            session, ticket_id, data.request(), principal=console.principal, if_match=None, now=now
        )

    return await _run(request, session, console, ticket_id, "extended", work)


@router.post("/merge")
async def merge(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[MergeForm, Form()],
    now: NowDep,
) -> Response:
    """This ticket is a duplicate of ``into`` (a suggested duplicate) or of the ticket
    numbered ``number`` (one the system did not suggest); either needs the confirmation box."""

    async def work() -> object:
        request_ = await merge_request(session, console.principal, data)
        return await duplicates.merge_tickets(
            session, ticket_id, request_, principal=console.principal, now=now
        )

    if data.from_ == "triage":
        return await _back_to_triage(session, work, "merged")
    return await _run(request, session, console, ticket_id, "merged", work)


@router.post("/route")
async def route(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    data: Annotated[RouteForm, Form()],
    now: NowDep,
) -> Response:
    moved: list[Ticket] = []

    async def work() -> object:
        moved.append(
            await rerouting.route_ticket(
                session,
                ticket_id,
                data.request(),
                principal=console.principal,
                if_match=None,
                now=now,
            )
        )
        return moved[-1]

    if data.from_ == "triage":
        return await _back_to_triage(session, work, "routed")
    response = await _run(request, session, console, ticket_id, "routed", work)
    # Routed out of the viewer's sight (a triage operator): the inbox says where it went.
    return handover.to_inbox(response, handover.unseen(moved, console.principal))


async def _back_to_triage(
    session: AsyncSession, work: Callable[[], Awaitable[object]], done: str
) -> Response:
    try:
        await work()
    except (AppError, ValidationError, Unconfirmed) as exc:
        await session.rollback()
        return back_to("/console/triage", **_why(exc))
    return back_to("/console/triage", done=done)
