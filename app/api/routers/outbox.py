"""Admin API: the outbox (dead letters and replay)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import AdminDep, NowDep, RowId, SessionDep
from app.api.responses import problems
from app.models.outbox import OutboxMessagePublic, OutboxState, OutboxTarget
from app.models.schemas import Page
from app.outbox import service as outbox

router = APIRouter(prefix="/api/v1/outbox", tags=["outbox"])


def _public(message: object) -> OutboxMessagePublic:
    return OutboxMessagePublic.model_validate(message, from_attributes=True)


@router.get("", response_model=Page[OutboxMessagePublic], responses=problems(401, 403, 422, 503))
async def list_(
    session: SessionDep,
    principal: AdminDep,
    state: OutboxState | None = None,
    target: OutboxTarget | None = None,
    ticket_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[OutboxMessagePublic]:
    """Messages to the sources and departments, newest first (e.g. `?state=dead`)."""
    rows, next_cursor = await outbox.list_messages(
        session,
        state=state.value if state else None,
        target=target.value if target else None,
        ticket_id=ticket_id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[_public(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{message_id}", response_model=OutboxMessagePublic, responses=problems(401, 403, 404, 503)
)
async def get(message_id: RowId, session: SessionDep, principal: AdminDep) -> OutboxMessagePublic:
    """One message with its attempts, last error and state."""
    return _public(await outbox.get_message(session, message_id))


@router.post(
    "/{message_id}/replay",
    response_model=OutboxMessagePublic,
    responses=problems(401, 403, 404, 409, 503),
)
async def replay(
    message_id: RowId, session: SessionDep, principal: AdminDep, now: NowDep
) -> OutboxMessagePublic:
    """Send a dead message again (same idempotency id, fresh attempts); 409 unless dead."""
    message = await outbox.replay(session, message_id, actor=principal.actor, now=now)
    return _public(message)
