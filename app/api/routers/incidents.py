"""Department API: mass incidents (issue 20) — list, detail, open, confirm, dismiss, split,
link/unlink tickets, and the one message fanned out to every linked ticket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.access.api_keys import Principal
from app.api.deps import IfMatch, NowDep, RowId, SessionDep, StaffDep
from app.api.responses import problems
from app.incidents import queries
from app.incidents import service as incidents
from app.models.incidents import (
    Incident,
    IncidentConfirm,
    IncidentCreate,
    IncidentDetail,
    IncidentDismiss,
    IncidentMessageCreate,
    IncidentMessagePublic,
    IncidentMessageResult,
    IncidentPublic,
    IncidentSplit,
    IncidentStatus,
    IncidentTicketPublic,
    IncidentTickets,
)
from app.models.schemas import Page

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=20, pattern=r"^[1-9][0-9]{0,18}$")]
ACTION_PROBLEMS = problems(401, 403, 404, 409, 412, 422, 503)


def _public(incident: Incident, houses: dict[int, list[str]]) -> IncidentPublic:
    """The incident with the houses the viewer may see (``queries.visible_houses``)."""
    public = IncidentPublic.model_validate(incident, from_attributes=True)
    public.houses = houses.get(incident.id or 0, [])
    return public


async def _seen(session: SessionDep, principal: Principal, incident: Incident) -> IncidentPublic:
    return _public(incident, await queries.visible_houses(session, principal, [incident]))


def _message(summary: queries.MessageSummary) -> IncidentMessagePublic:
    m = summary.message
    return IncidentMessagePublic(
        id=m.id or 0,
        kind=m.kind,  # type: ignore[arg-type]
        text=m.text,
        author=m.author,
        created_at=m.created_at,
        delivered=summary.outcomes.get("answered", 0) + summary.outcomes.get("via_main", 0),
        skipped=summary.outcomes.get("skipped", 0),
    )


async def _detail(
    session: SessionDep, incident: Incident, response: Response, principal: Principal
) -> IncidentDetail:
    rows = await queries.ticket_links(session, incident)
    summaries = await queries.messages(session, incident)
    response.headers["ETag"] = queries.etag(incident)
    return IncidentDetail(
        **(await _seen(session, principal, incident)).model_dump(),
        tickets=[
            IncidentTicketPublic(
                ticket_id=r.ticket.id or 0,
                number=r.ticket.number,
                source=r.ticket.source,
                kind=r.ticket.kind,
                status=r.ticket.status,
                district_code=r.ticket.district_code,
                linked_by=r.link.linked_by,  # type: ignore[arg-type]
                linked_at=r.link.linked_at,
                unlinked_at=r.link.unlinked_at,
            )
            for r in rows
        ],
        messages=[_message(s) for s in summaries],
    )


@router.get("", response_model=Page[IncidentPublic], responses=problems(401, 403, 422, 503))
async def list_(
    session: SessionDep,
    principal: StaffDep,
    status: Annotated[list[IncidentStatus] | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[IncidentPublic]:
    """Incidents the caller sees, newest first (e.g. `?status=suspected&status=confirmed`)."""
    rows = await queries.list_incidents(
        session,
        principal=principal,
        status=[s.value for s in status or []],
        limit=limit + 1,
        before_id=int(cursor) if cursor else None,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = str(rows[-1].id) if more and rows else None
    houses = await queries.visible_houses(session, principal, rows)
    return Page(items=[_public(r, houses) for r in rows], next_cursor=next_cursor)


@router.post(
    "",
    response_model=IncidentDetail,
    status_code=201,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def create(
    body: IncidentCreate, session: SessionDep, principal: StaffDep, now: NowDep, response: Response
) -> IncidentDetail:
    """Open an incident by hand (confirmed at once), optionally with tickets."""
    incident = await incidents.create_incident(session, body, principal=principal, now=now)
    response.headers["Location"] = f"/api/v1/incidents/{incident.id}"
    return await _detail(session, incident, response, principal)


@router.get("/{incident_id}", response_model=IncidentDetail, responses=problems(401, 403, 404, 503))
async def get(
    incident_id: RowId, session: SessionDep, principal: StaffDep, response: Response
) -> IncidentDetail:
    """One incident with its tickets (how each was linked) and messages, and its `ETag`."""
    incident = await queries.get_incident(session, incident_id, principal=principal)
    return await _detail(session, incident, response, principal)


@router.post("/{incident_id}/confirm", response_model=IncidentDetail, responses=ACTION_PROBLEMS)
async def confirm(
    incident_id: RowId,
    body: IncidentConfirm,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentDetail:
    """suspected → confirmed."""
    incident = await incidents.confirm_incident(
        session, incident_id, body, principal=principal, if_match=if_match, now=now
    )
    return await _detail(session, incident, response, principal)


@router.post("/{incident_id}/dismiss", response_model=IncidentDetail, responses=ACTION_PROBLEMS)
async def dismiss(
    incident_id: RowId,
    body: IncidentDismiss,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentDetail:
    """Not one problem: dismissed, its tickets released."""
    incident = await incidents.dismiss_incident(
        session, incident_id, body, principal=principal, if_match=if_match, now=now
    )
    return await _detail(session, incident, response, principal)


@router.post(
    "/{incident_id}/split",
    response_model=IncidentDetail,
    status_code=201,
    responses=ACTION_PROBLEMS,
)
async def split(
    incident_id: RowId,
    body: IncidentSplit,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentDetail:
    """Move the chosen tickets to a new incident; answers the new one."""
    child = await incidents.split_incident(
        session, incident_id, body, principal=principal, if_match=if_match, now=now
    )
    response.headers["Location"] = f"/api/v1/incidents/{child.id}"
    return await _detail(session, child, response, principal)


@router.post("/{incident_id}/tickets", response_model=IncidentDetail, responses=ACTION_PROBLEMS)
async def link(
    incident_id: RowId,
    body: IncidentTickets,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentDetail:
    """Link tickets; each gets the incident's current message at once."""
    incident = await incidents.link_tickets(
        session, incident_id, body.ticket_ids, principal=principal, if_match=if_match, now=now
    )
    return await _detail(session, incident, response, principal)


@router.post(
    "/{incident_id}/tickets/unlink", response_model=IncidentDetail, responses=ACTION_PROBLEMS
)
async def unlink(
    incident_id: RowId,
    body: IncidentTickets,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentDetail:
    """Unlink tickets (they keep what they were sent)."""
    incident = await incidents.unlink_tickets(
        session, incident_id, body.ticket_ids, principal=principal, if_match=if_match, now=now
    )
    return await _detail(session, incident, response, principal)


@router.post(
    "/{incident_id}/messages",
    response_model=IncidentMessageResult,
    status_code=201,
    responses=ACTION_PROBLEMS,
)
async def publish(
    incident_id: RowId,
    body: IncidentMessageCreate,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentMessageResult:
    """Publish an interim or final message to every linked ticket through its own source,
    exactly once per ticket; a final one resolves the incident."""
    incident, summary = await incidents.publish_message(
        session, incident_id, body, principal=principal, if_match=if_match, now=now
    )
    response.headers["ETag"] = queries.etag(incident)
    return IncidentMessageResult(
        incident=await _seen(session, principal, incident), message=_message(summary)
    )
