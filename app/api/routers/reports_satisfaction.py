"""The satisfaction report: the city's headline KPI next to how the work was done."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access.api_keys import Principal
from app.api.deps import NowDep, SessionDep, SettingsDep, require_roles
from app.api.report_period import PeriodDep
from app.api.responses import problems
from app.models.common import Role
from app.reports.satisfaction import (
    SatisfactionReport,
    satisfaction_csv,
    satisfaction_report,
)

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ManagerDep = Annotated[Principal, Depends(require_roles(Role.manager, Role.admin))]


@router.get(
    "/satisfaction",
    response_model=SatisfactionReport,
    responses={
        **problems(401, 403, 422, 503),
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)
async def satisfaction(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    principal: ManagerDep,
    period: PeriodDep,
    department: Annotated[str | None, Query(max_length=64)] = None,
    format: Literal["json", "csv"] | None = None,
) -> SatisfactionReport | Response:
    """Satisfaction share, average score and answered-without-feedback share per department
    and month, with on-time %, re-routes and reopen rate, and the change against the previous
    period; JSON or CSV (`format=csv` or `Accept: text/csv`). The period defaults to this month
    in the city's time zone."""
    report = await satisfaction_report(
        session,
        principal=principal,
        start=period.start,
        end=period.end,
        department=department,
        timezone=settings.timezone,
        now=now,
    )
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return Response(
            content=satisfaction_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="satisfaction.csv"'},
        )
    return report
