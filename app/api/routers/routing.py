"""Routing API: rules, dry run, re-routing, duplicates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.access.visibility import viewer_for
from app.api.deps import AdminDep, IfMatch, NowDep, RowId, SessionDep, StaffDep
from app.api.responses import problems
from app.api.ticket_view import present_ticket
from app.dedup import actions as duplicates
from app.models.routing import (
    DuplicateSuggestionPublic,
    ExplainRequest,
    ExplainResult,
    MergeRequest,
    ReturnRequest,
    RouteRequest,
    RoutingRuleIn,
    RoutingRulePublic,
    UnmergeRequest,
)
from app.models.schemas import TicketPublic
from app.routing import admin as routing_admin
from app.routing import rerouting
from app.routing import service as routing

router = APIRouter(tags=["routing"])

RuleId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "/api/v1/routing-rules",
    response_model=list[RoutingRulePublic],
    responses=problems(401, 403, 503),
)
async def list_rules(session: SessionDep, principal: StaffDep) -> list[RoutingRulePublic]:
    """Every routing rule in evaluation order (first match wins)."""
    return [routing_admin.rule_public(r) for r in await routing_admin.list_rules(session)]


@router.post(
    "/api/v1/routing-rules",
    response_model=RoutingRulePublic,
    status_code=201,
    responses=problems(400, 401, 403, 409, 422, 503),
)
async def create_rule(
    data: RoutingRuleIn, session: SessionDep, principal: AdminDep
) -> RoutingRulePublic:
    """Add a rule (admin); without `position` it is evaluated last."""
    return routing_admin.rule_public(await routing_admin.create_rule(session, data))


@router.get(
    "/api/v1/routing-rules/{rule_id}",
    response_model=RoutingRulePublic,
    responses=problems(401, 403, 404, 422, 503),
)
async def get_rule(rule_id: RuleId, session: SessionDep, principal: StaffDep) -> RoutingRulePublic:
    """One rule."""
    return routing_admin.rule_public(await routing_admin.get_rule(session, rule_id))


@router.put(
    "/api/v1/routing-rules/{rule_id}",
    response_model=RoutingRulePublic,
    responses=problems(400, 401, 403, 404, 409, 422, 503),
)
async def update_rule(
    rule_id: RuleId, data: RoutingRuleIn, session: SessionDep, principal: AdminDep
) -> RoutingRulePublic:
    """Replace a rule (admin)."""
    return routing_admin.rule_public(await routing_admin.update_rule(session, rule_id, data))


@router.delete(
    "/api/v1/routing-rules/{rule_id}", status_code=204, responses=problems(401, 403, 404, 422, 503)
)
async def delete_rule(rule_id: RuleId, session: SessionDep, principal: AdminDep) -> Response:
    """Delete a rule (admin)."""
    await routing_admin.delete_rule(session, rule_id)
    return Response(status_code=204)


@router.post(
    "/api/v1/routing/explain",
    response_model=ExplainResult,
    responses=problems(400, 401, 403, 422, 503),
)
async def explain(data: ExplainRequest, session: SessionDep, principal: StaffDep) -> ExplainResult:
    """Dry run: which department, which rule, which rules almost matched. Creates nothing."""
    return await routing.explain(session, data)


@router.post(
    "/api/v1/tickets/{ticket_id}/return",
    response_model=TicketPublic,
    responses=problems(400, 401, 403, 404, 412, 422, 428, 503),
)
async def return_ticket(
    ticket_id: RowId,
    data: ReturnRequest,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    """Not ours: back to triage, or straight to the right department when it is known."""
    ticket = await rerouting.return_ticket(
        session, ticket_id, data, principal=principal, if_match=if_match, now=now
    )
    return await present_ticket(session, ticket, principal, now, response)


@router.post(
    "/api/v1/tickets/{ticket_id}/route",
    response_model=TicketPublic,
    responses=problems(400, 401, 403, 404, 412, 422, 428, 503),
)
async def route_ticket(
    ticket_id: RowId,
    data: RouteRequest,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    """Send a ticket to a department (triage staff or admin)."""
    ticket = await rerouting.route_ticket(
        session, ticket_id, data, principal=principal, if_match=if_match, now=now
    )
    return await present_ticket(session, ticket, principal, now, response)


@router.post(
    "/api/v1/tickets/{ticket_id}/merge",
    response_model=TicketPublic,
    responses=problems(400, 401, 403, 404, 409, 422, 503),
)
async def merge(
    ticket_id: RowId,
    data: MergeRequest,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
) -> TicketPublic:
    """Link this ticket as a duplicate of `into`; it keeps its source and citizen and gets
    the main ticket's answers through its own source."""
    ticket = await duplicates.merge_tickets(session, ticket_id, data, principal=principal, now=now)
    return await present_ticket(session, ticket, principal, now, response)


@router.post(
    "/api/v1/tickets/{ticket_id}/unmerge",
    response_model=TicketPublic,
    responses=problems(400, 401, 403, 404, 409, 422, 503),
)
async def unmerge(
    ticket_id: RowId,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    data: UnmergeRequest | None = None,
) -> TicketPublic:
    """Undo a merge: the ticket becomes its own piece of work again (status `routed`)."""
    ticket = await duplicates.unmerge_ticket(
        session, ticket_id, data or UnmergeRequest(), principal=principal, now=now
    )
    return await present_ticket(session, ticket, principal, now, response)


@router.get(
    "/api/v1/duplicate-suggestions",
    response_model=list[DuplicateSuggestionPublic],
    responses=problems(401, 403, 422, 503),
)
async def suggestions(
    session: SessionDep,
    principal: StaffDep,
    status: Annotated[str, Query(pattern="^(open|merged|dismissed)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DuplicateSuggestionPublic]:
    """Likely duplicates for an operator to merge or dismiss, newest first: those whose both
    tickets the caller sees; a pair across departments only for the triage department and
    admins (neither department alone sees the other's ticket)."""
    viewer = await viewer_for(session, principal)
    rows = await duplicates.list_suggestions(session, viewer=viewer, status=status, limit=limit)
    return [DuplicateSuggestionPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/api/v1/duplicate-suggestions/{suggestion_id}/dismiss",
    response_model=DuplicateSuggestionPublic,
    responses=problems(401, 403, 404, 422, 503),
)
async def dismiss(
    suggestion_id: RowId, session: SessionDep, principal: StaffDep, now: NowDep
) -> DuplicateSuggestionPublic:
    """Not a duplicate: the suggestion is closed."""
    row = await duplicates.dismiss_suggestion(session, suggestion_id, principal=principal, now=now)
    return DuplicateSuggestionPublic.model_validate(row, from_attributes=True)
