"""Department API: tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field

from app.access import visibility
from app.access.api_keys import Caller, Principal
from app.api.deps import (
    STAFF,
    IfMatch,
    NowDep,
    RowId,
    SessionDep,
    SessionmakerDep,
    StaffDep,
    check_roles,
)
from app.api.fast_lane import FastLaneRoute, with_lane
from app.api.idempotency import IDEMPOTENCY_HEADER_DOC, run_idempotent
from app.api.responses import problems
from app.api.ticket_list_query import plain_list_query
from app.api.ticket_pages import caller_dependency, list_response, page_caller, ticket_response
from app.api.ticket_view import present_ticket
from app.errors import Forbidden
from app.incidents import surge as incident_surge
from app.models.common import Kind, Priority, Role, Source, Status
from app.models.schemas import (
    AnswerCreate,
    AnswerPublic,
    AssignmentRequest,
    CommentCreate,
    EventPublic,
    Page,
    TicketCreate,
    TicketPublic,
    TicketUpdate,
    TransitionRequest,
)
from app.tickets import actions as ticket_actions
from app.tickets import service as tickets
from app.tickets.presenters import event_links, event_public, linked_ids, ticket_public
from app.tickets.queries import SORTS, TicketFilters


def _iso_only(value: object) -> object:
    """A bare number is not an ISO 8601 date-time (pydantic would read it as Unix time)."""
    if isinstance(value, str) and value.strip().replace(".", "", 1).lstrip("+-").isdigit():
        raise ValueError("expected an ISO 8601 date-time")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


class TicketListQuery(BaseModel):
    """The list's query string: the filters, the order and the page (unknown names are ignored)."""

    status: list[Status] | None = None
    department: str | None = Field(None, max_length=64)
    category: str | None = Field(None, max_length=64)
    source: Source | None = None
    kind: Kind | None = None
    priority: Priority | None = None
    district: str | None = Field(None, max_length=64)
    created_from: IsoDateTime | None = None
    created_to: IsoDateTime | None = None
    overdue: bool | None = None
    at_risk: bool | None = None
    q: str | None = Field(None, max_length=200, description="Full-text search (Russian)")
    sort: str = Field(SORTS[0], pattern="^(-created_at|created_at|resolution_due_at)$")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)

    def filters(self) -> TicketFilters:
        """The domain's filters (enum values, a blank search is no search)."""
        return TicketFilters(
            status=[s.value for s in self.status or []],
            department=self.department,
            category=self.category,
            source=self.source.value if self.source else None,
            kind=self.kind.value if self.kind else None,
            priority=self.priority.value if self.priority else None,
            district=self.district,
            created_from=self.created_from,
            created_to=self.created_to,
            overdue=self.overdue,
            at_risk=self.at_risk,
            q=self.q.strip() if self.q and self.q.strip() else None,
        )


router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], route_class=FastLaneRoute)

IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", description=IDEMPOTENCY_HEADER_DOC, max_length=200)
]


def _staff_only(principal: Principal) -> None:
    check_roles(principal, STAFF)


def _reads_tickets(principal: Principal) -> None:
    if principal.role == Role.integration:
        raise Forbidden("integration keys cannot read tickets")


StaffCaller = Annotated[Caller, Depends(caller_dependency(_staff_only))]
ReaderCaller = Annotated[Caller, Depends(caller_dependency(_reads_tickets))]


async def _list_lane(request: Request) -> Response | None:
    """``list_`` for a plain query string, without FastAPI's dependency solving (None: the
    query is for the model to read; nothing was done)."""
    query = plain_list_query(request.query_params)
    if query is None:
        return None
    return await list_response(
        request,
        await page_caller(request, _staff_only),
        _staff_only,
        filters=query.filters,
        sort=query.sort,
        limit=query.limit,
        cursor=query.cursor,
    )


_MAX_ID = str(2**63 - 1)


async def _ticket_lane(request: Request) -> Response | None:
    """``get`` for a plain id (digits, no leading zero, within bigint); None otherwise."""
    raw = request.path_params["ticket_id"]
    plain = raw.isascii() and raw.isdigit() and raw[0] != "0"
    if not plain or (len(raw), raw) > (len(_MAX_ID), _MAX_ID):
        return None
    caller = await page_caller(request, _reads_tickets)
    return await ticket_response(request, caller, _reads_tickets, ticket_id=int(raw))


# The two reads departments live in answer with the rows of one statement written by orjson
# (app/api/ticket_pages.py, app/tickets/pages.py); `response_model` is the contract they keep.
# A plain request takes the route's fast lane (app/api/fast_lane.py), anything else FastAPI's.
@router.get("", response_model=Page[TicketPublic], responses=problems(401, 403, 422, 503))
@with_lane(_list_lane)
async def list_(
    request: Request, caller: StaffCaller, query: Annotated[TicketListQuery, Query()]
) -> Response:
    """Tickets visible to the caller, newest first by default; opaque cursor pagination."""
    return await list_response(
        request,
        caller,
        _staff_only,
        filters=query.filters(),
        sort=query.sort,
        limit=query.limit,
        cursor=query.cursor,
    )


@router.post(
    "",
    response_model=TicketPublic,
    status_code=201,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def create(
    request: Request,
    data: TicketCreate,
    session: SessionDep,
    sessionmaker: SessionmakerDep,
    principal: StaffDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a ticket by hand (source `api`): a phone call, a visit, a letter. The applicant
    is stored in full; the answer shows it masked unless the caller is an operator or manager
    (an admin key sees its own ticket's applicant masked, `applicant.masked` is true)."""

    async def action() -> TicketPublic:
        ticket = await tickets.create_manual_ticket(session, data, principal=principal, now=now)
        # A ticket of an open mass incident joins it now (and gets its answer at once).
        if await incident_surge.join_new_tickets(session, [ticket.id]):
            await session.refresh(ticket)
        applicant = await tickets.load_applicant(session, ticket)
        seen = await visibility.seen_ids(session, principal, linked_ids([ticket]))
        return ticket_public(ticket, applicant, principal, now=now, links_seen=seen)

    return await run_idempotent(
        request,
        key=idempotency_key,
        principal=principal,
        session=session,
        sessionmaker=sessionmaker,
        status_code=201,
        now=now,
        action=action,
    )


@router.get("/{ticket_id}", response_model=TicketPublic, responses=problems(401, 403, 404, 503))
@with_lane(_ticket_lane)
async def get(ticket_id: RowId, request: Request, caller: ReaderCaller) -> Response:
    """One ticket, with its `ETag` for later updates."""
    return await ticket_response(request, caller, _reads_tickets, ticket_id=ticket_id)


@router.patch(
    "/{ticket_id}",
    response_model=TicketPublic,
    responses=problems(401, 403, 404, 412, 422, 428, 503),
)
async def update(
    ticket_id: RowId,
    data: TicketUpdate,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    """Edit category, priority, address, point or district (`If-Match` required)."""
    ticket = await tickets.update_ticket(
        session, ticket_id, data, principal=principal, if_match=if_match, now=now
    )
    return await present_ticket(session, ticket, principal, now, response)


@router.post(
    "/{ticket_id}/transitions",
    response_model=TicketPublic,
    responses=problems(401, 403, 404, 409, 412, 422, 428, 503),
)
async def transition(
    ticket_id: RowId,
    data: TransitionRequest,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    """Move the ticket along the state machine; an illegal move is a 409 listing the allowed."""
    ticket = await ticket_actions.transition_ticket(
        session, ticket_id, data, principal=principal, if_match=if_match, now=now
    )
    return await present_ticket(session, ticket, principal, now, response)


@router.post(
    "/{ticket_id}/comments",
    response_model=EventPublic,
    status_code=201,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def comment(
    request: Request,
    ticket_id: RowId,
    data: CommentCreate,
    session: SessionDep,
    sessionmaker: SessionmakerDep,
    principal: StaffDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """An internal comment on the timeline (never sent to the citizen)."""

    async def action() -> EventPublic:
        event = await ticket_actions.add_comment(
            session, ticket_id, text=data.text, principal=principal, now=now
        )
        return event_public(event, links_seen=())  # a comment names no other ticket

    return await run_idempotent(
        request,
        key=idempotency_key,
        principal=principal,
        session=session,
        sessionmaker=sessionmaker,
        status_code=201,
        now=now,
        action=action,
    )


@router.post(
    "/{ticket_id}/answers",
    response_model=AnswerPublic,
    status_code=201,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def answer(
    request: Request,
    ticket_id: RowId,
    data: AnswerCreate,
    session: SessionDep,
    sessionmaker: SessionmakerDep,
    principal: StaffDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Answer the citizen (interim or final); it goes back through the ticket's source."""

    async def action() -> AnswerPublic:
        _, stored = await ticket_actions.add_answer(
            session, ticket_id, data, principal=principal, now=now
        )
        return AnswerPublic.model_validate(stored, from_attributes=True)

    return await run_idempotent(
        request,
        key=idempotency_key,
        principal=principal,
        session=session,
        sessionmaker=sessionmaker,
        status_code=201,
        now=now,
        action=action,
    )


@router.get(
    "/{ticket_id}/answers",
    response_model=list[AnswerPublic],
    responses=problems(401, 403, 404, 422, 503),
)
async def answers(ticket_id: RowId, session: SessionDep, principal: StaffDep) -> list[AnswerPublic]:
    """Answers given to the citizen, oldest first, with their delivery status."""
    rows = await ticket_actions.list_answers(session, ticket_id, principal=principal)
    return [AnswerPublic.model_validate(r, from_attributes=True) for r in rows]


@router.put(
    "/{ticket_id}/assignment",
    response_model=TicketPublic,
    responses=problems(401, 403, 404, 422, 503),
)
async def assign(
    ticket_id: RowId,
    data: AssignmentRequest,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
) -> TicketPublic:
    """Set (or clear, with null) who works on the ticket."""
    ticket = await ticket_actions.assign_ticket(
        session, ticket_id, data, principal=principal, now=now
    )
    return await present_ticket(session, ticket, principal, now, response)


@router.get(
    "/{ticket_id}/events",
    response_model=list[EventPublic],
    responses=problems(401, 403, 404, 422, 503),
)
async def events(ticket_id: RowId, session: SessionDep, principal: StaffDep) -> list[EventPublic]:
    """The append-only timeline, oldest first (another ticket it names that the caller does not
    see reads as null)."""
    rows = await ticket_actions.list_events(session, ticket_id, principal=principal)
    seen = await visibility.seen_ids(session, principal, event_links(rows))
    return [event_public(e, links_seen=seen) for e in rows]
