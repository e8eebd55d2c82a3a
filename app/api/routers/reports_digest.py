"""The weekly digest for the press service (JSON, or Markdown for the newspaper column)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response

from app.access.api_keys import Principal
from app.api.deps import NowDep, SessionDep, require_roles
from app.api.responses import problems
from app.api.routers.webhooks import SettingsDep
from app.directory import service as directory
from app.models.common import Role
from app.reports.digest import to_markdown, weekly_digest

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ManagerDep = Annotated[Principal, Depends(require_roles(Role.manager, Role.admin))]


@router.get(
    "/weekly-digest",
    responses={
        200: {"content": {"application/json": {}, "text/markdown": {}}},
        **problems(401, 403, 422, 503),
    },
)
async def get_weekly_digest(
    session: SessionDep,
    principal: ManagerDep,
    settings: SettingsDep,
    now: NowDep,
    week: Annotated[str, Query(pattern=r"^\d{4}-W\d{2}$", examples=["2026-W47"])],
    format: Annotated[Literal["json", "md"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Top themes by volume and growth, hot addresses, on-time % and overdue by department,
    and scrubbed example appeals per top theme. Admins and the triage department's managers
    (the press service) see the whole city; other managers their own department."""
    department = None
    if principal.role != Role.admin and principal.department_code:
        triage = await directory.triage_department(session)
        if principal.department_code != triage.code:
            department = principal.department_code
    digest = await weekly_digest(session, week, department=department, settings=settings, now=now)
    wants_md = format == "md" or (format is None and "text/markdown" in (accept or ""))
    if wants_md:
        return Response(to_markdown(digest), media_type="text/markdown; charset=utf-8")
    return asdict(digest)
