"""Citizen feedback on a ticket's answer, recorded by staff (calls, visits) and listed."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import NowDep, PrincipalDep, RowId, SessionDep
from app.api.responses import problems
from app.feedback import service as feedback
from app.models.feedback import FeedbackCreate, FeedbackPublic

router = APIRouter(prefix="/api/v1/tickets", tags=["feedback"])


def _public(row: object) -> FeedbackPublic:
    return FeedbackPublic.model_validate(row, from_attributes=True)


@router.post(
    "/{ticket_id}/feedback",
    status_code=201,
    response_model=FeedbackPublic,
    responses=problems(400, 401, 403, 404, 409, 422, 503),
)
async def record(
    ticket_id: RowId,
    data: FeedbackCreate,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> FeedbackPublic:
    """Record the citizen's reaction to the latest answer; a low one reopens the ticket."""
    row = await feedback.record_manual_feedback(
        session, ticket_id, data, principal=principal, now=now
    )
    return _public(row)


@router.get(
    "/{ticket_id}/feedback",
    response_model=list[FeedbackPublic],
    responses=problems(401, 403, 404, 422, 503),
)
async def list_(
    ticket_id: RowId, session: SessionDep, principal: PrincipalDep
) -> list[FeedbackPublic]:
    """Every feedback record of the ticket, oldest first."""
    return [
        _public(r) for r in await feedback.list_feedback(session, ticket_id, principal=principal)
    ]
