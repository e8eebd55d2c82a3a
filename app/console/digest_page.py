"""The weekly digest in the console (/console/digest) for the press service: read it, print it,
download it as Markdown — with the session, no API key. Admins and managers; the triage
department's managers (the press service) see the whole city, others their own department."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import NowDep, SessionDep
from app.api.report_period import resolve_week
from app.console.deps import ConsoleDep, render
from app.errors import AppError
from app.models.common import Role
from app.reports.digest import Digest, digest_scope, weekly_digest
from app.reports.digest_incidents import waited
from app.reports.digest_text import department_totals, share, to_markdown

router = APIRouter(prefix="/console", include_in_schema=False)
READERS = (Role.admin, Role.manager)
REFUSED = {
    403: "Дайджест другого отдела недоступен: руководитель отдела видит только свой отдел.",
    422: "Неделя указана неверно: выберите её в календаре (например, 2026-W47).",
}


async def _digest(
    session: SessionDep, console: ConsoleDep, now: NowDep, week: str, department: str,
    quotes: bool,
) -> Digest:  # fmt: skip
    if console.user.role not in READERS:
        raise _NoAccess
    scope = await digest_scope(session, console.principal, department or None)
    iso_week = resolve_week(week, tz=console.settings.tz, now=now)
    return await weekly_digest(
        session, iso_week, department=scope, settings=console.settings, now=now, quotes=quotes
    )


class _NoAccess(Exception):
    pass


Week = Annotated[str, Query(max_length=20)]
Dept = Annotated[str, Query(max_length=64)]
Quotes = Annotated[bool, Query()]


@router.get("/digest", response_class=HTMLResponse)
async def digest_page(
    request: Request, session: SessionDep, console: ConsoleDep, now: NowDep,
    week: Week = "", department: Dept = "", quotes: Quotes = False,
) -> Response:  # fmt: skip
    try:
        digest = await _digest(session, console, now, week, department, quotes)
    except _NoAccess:
        return render(request, "no_access.html", {}, console=console, status_code=403)
    except AppError as exc:  # a week that does not exist, another department
        status = 403 if exc.status == 403 else 422
        error = REFUSED.get(status, REFUSED[422])
        refused: dict[str, object] = {
            "digest": None,
            "error": error,
            "week": week,
            "department": department,
        }
        return render(request, "digest.html", refused, console=console, status_code=status)
    context: dict[str, object] = {
        "digest": digest,
        "share": share,
        "totals": department_totals(digest),
        "waited": waited,
        "week": digest.week,
        "department": department,
        "quotes": quotes,
        "department_name": console.department_names.get(digest.department or "", ""),
        "error": None,
    }
    return render(request, "digest.html", context, console=console)


@router.get("/digest.md")
async def digest_download(
    session: SessionDep, console: ConsoleDep, now: NowDep,
    week: Week = "", department: Dept = "", quotes: Quotes = False,
) -> Response:  # fmt: skip
    try:
        digest = await _digest(session, console, now, week, department, quotes)
    except _NoAccess:
        return Response("Нет доступа", status_code=403, media_type="text/plain; charset=utf-8")
    except AppError as exc:
        status = 403 if exc.status == 403 else 422
        return Response(REFUSED[status], status_code=status, media_type="text/plain; charset=utf-8")
    name = f"digest-{digest.week}{'-' + digest.department if digest.department else ''}.md"
    return Response(
        to_markdown(digest),
        media_type="text/markdown; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
