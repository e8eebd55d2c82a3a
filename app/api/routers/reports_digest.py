"""The weekly digest for the press service (JSON, or Markdown for the newspaper column)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response

from app.access.api_keys import Principal
from app.api.deps import NowDep, SessionDep, SettingsDep, require_roles
from app.api.report_period import resolve_week
from app.api.responses import problems
from app.models.common import Role
from app.reports.digest import digest_scope, weekly_digest
from app.reports.digest_text import to_markdown

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
    week: Annotated[
        str | None,
        Query(
            max_length=20,
            description="An ISO week (`2026-W49`) or a date in it (`2026-12-01`); default: "
            "this week in the city's time zone.",
            examples=["2026-W47"],
        ),
    ] = None,
    department: Annotated[
        str | None,
        Query(max_length=64, description="One department's digest; omitted: the caller's scope"),
    ] = None,
    quotes: Annotated[
        bool,
        Query(
            description="Quote a few appeals per top theme (and the answers given), each "
            "scrubbed of names, flat numbers, health details, phones and e-mails; default: "
            "no quotes at all."
        ),
    ] = False,
    format: Annotated[Literal["json", "md"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """The week's dates, top themes with what was answered on them, rising themes (not already
    top), districts, places where one problem repeats, each department's on-time and satisfied
    shares with their counts, and a draft paragraph for the column. No quotes unless
    `quotes=true`. Admins and the triage department's managers
    (the press service) see the whole city or any one `department`; other managers their own
    department only (another one's is a 403, like the SLA and satisfaction reports)."""
    department = await digest_scope(session, principal, department)
    iso_week = resolve_week(week, tz=settings.tz, now=now)
    digest = await weekly_digest(
        session, iso_week, department=department, settings=settings, now=now, quotes=quotes
    )
    wants_md = format == "md" or (format is None and "text/markdown" in (accept or ""))
    if wants_md:
        return Response(to_markdown(digest), media_type="text/markdown; charset=utf-8")
    return asdict(digest)
