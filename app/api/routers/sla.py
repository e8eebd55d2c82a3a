"""SLA API: policies (admin), the 59-ФЗ extension, the SLA report (JSON or CSV)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access.api_keys import Principal
from app.api.deps import (
    AdminDep,
    IfMatch,
    NowDep,
    RowId,
    SessionDep,
    StaffDep,
    require_roles,
)
from app.api.report_period import PeriodDep
from app.api.responses import problems
from app.api.ticket_view import present_ticket
from app.models.common import Role
from app.models.schemas import TicketPublic
from app.models.sla import (
    ExtensionRequest,
    ReportFormat,
    SlaPolicyCreate,
    SlaPolicyPublic,
    SlaPolicyUpdate,
    SlaReport,
)
from app.reports.sla import report_csv, sla_report
from app.sla import extension as sla_actions
from app.sla import policies as sla_policies
from app.sla import registration as sla_registration

router = APIRouter(prefix="/api/v1", tags=["sla"])

ManagerDep = Annotated[Principal, Depends(require_roles(Role.manager, Role.admin))]


def _public(row: object) -> SlaPolicyPublic:
    return SlaPolicyPublic.model_validate(row, from_attributes=True)


@router.get(
    "/sla-policies", response_model=list[SlaPolicyPublic], responses=problems(401, 403, 503)
)
async def list_policies(session: SessionDep, _: AdminDep) -> list[SlaPolicyPublic]:
    """Every SLA policy in matching order (most specific wins, then the lowest position)."""
    return [_public(r) for r in await sla_policies.list_policies(session)]


@router.post(
    "/sla-policies",
    response_model=SlaPolicyPublic,
    status_code=201,
    responses=problems(400, 401, 403, 409, 422, 503),
)
async def create_policy(data: SlaPolicyCreate, session: SessionDep, _: AdminDep) -> SlaPolicyPublic:
    """Add a policy; it applies to tickets created from now on."""
    return _public(await sla_policies.create_policy(session, data))


@router.get(
    "/sla-policies/{policy_id}",
    response_model=SlaPolicyPublic,
    responses=problems(401, 403, 404, 503),
)
async def get_policy(policy_id: RowId, session: SessionDep, _: AdminDep) -> SlaPolicyPublic:
    """One policy."""
    return _public(await sla_policies.get_policy(session, policy_id))


@router.put(
    "/sla-policies/{policy_id}",
    response_model=SlaPolicyPublic,
    responses=problems(400, 401, 403, 404, 422, 503),
)
async def update_policy(
    policy_id: RowId, data: SlaPolicyUpdate, session: SessionDep, _: AdminDep
) -> SlaPolicyPublic:
    """Replace a policy's conditions and terms; running tickets keep their deadlines."""
    return _public(await sla_policies.update_policy(session, policy_id, data))


@router.delete("/sla-policies/{policy_id}", status_code=204, responses=problems(401, 403, 404, 503))
async def delete_policy(policy_id: RowId, session: SessionDep, _: AdminDep) -> Response:
    """Remove a policy."""
    await sla_policies.delete_policy(session, policy_id)
    return Response(status_code=204)


@router.post(
    "/tickets/{ticket_id}/extend",
    response_model=TicketPublic,
    responses=problems(400, 401, 403, 404, 409, 412, 422, 428, 503),
)
async def extend(
    ticket_id: RowId,
    data: ExtensionRequest,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    """Extend a 59-ФЗ appeal once (up to 30 days, with a reason); the citizen is notified."""
    ticket = await sla_actions.extend_deadline(
        session, ticket_id, data, principal=principal, if_match=if_match, now=now
    )
    return await present_ticket(session, ticket, principal, now, response)


@router.post(
    "/tickets/{ticket_id}/register",
    response_model=TicketPublic,
    responses=problems(401, 403, 404, 409, 412, 428, 503),
)
async def register(
    ticket_id: RowId,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    """Record a 59-ФЗ appeal's registration, where the city's policy registers by hand
    (`registration_by_hand`); registered after `registration_due_at` it is a breach."""
    ticket = await sla_registration.register_appeal(
        session, ticket_id, principal=principal, if_match=if_match, now=now
    )
    return await present_ticket(session, ticket, principal, now, response)


@router.get(
    "/reports/sla",
    response_model=SlaReport,
    responses={
        **problems(401, 403, 422, 503),
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)
async def report(
    request: Request,
    session: SessionDep,
    principal: ManagerDep,
    now: NowDep,
    period: PeriodDep,
    department: Annotated[str | None, Query(max_length=64)] = None,
    format: ReportFormat | None = None,
) -> SlaReport | Response:
    """On-time %, first-response and resolution percentiles, breaches; JSON or CSV
    (`format=csv` or `Accept: text/csv`). The period defaults to this month in the city's time
    zone. A manager sees their own department only."""
    result = await sla_report(
        session,
        principal=principal,
        start=period.start,
        end=period.end,
        department=department,
        now=now,
    )
    wants_csv = format == "csv" or (
        format is None and "text/csv" in request.headers.get("accept", "")
    )
    if wants_csv:
        return Response(
            content=report_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="sla-report.csv"'},
        )
    return result
