"""Mass incidents in the console (/console/incidents): the control centre's list, open ones on
top with their ticket counts growing (the page reloads itself every 15 s with a
``<meta http-equiv="refresh">``, no JavaScript), and one incident's page with its tickets,
messages and the forms that act on it (``app.console.incident_actions``).

Who: operators, managers and admins who see the incident (``app.incidents.queries``); an
incident another department cannot see is «не найдено», as a ticket is."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.deps import NowDep, RowId, SessionDep
from app.console import incident_view
from app.console.deps import Console, ConsoleDep, not_found_page, render
from app.errors import NotFound
from app.incidents import queries
from app.models.incidents import OPEN_INCIDENT_STATUSES

router = APIRouter(prefix="/console", include_in_schema=False)
REFRESH_SECONDS = 15

# What the incident page says after a form went through (``?done=<code>``).
DONE = {
    "confirmed": "Инцидент подтверждён.",
    "dismissed": "Инцидент отклонён: его обращения освобождены.",
    "split": "Выбранные обращения выделены в новый инцидент.",
    "linked": "Обращение привязано к инциденту.",
    "unlinked": "Обращение отвязано от инцидента.",
    "published": "Сообщение опубликовано и отправлено по всем обращениям.",
}


def may_see_incidents(console: Console) -> bool:
    """The roles the incidents API serves (the nav link shows for them)."""
    return console.user.role in {r.value for r in queries.STAFF}


@router.get("/incidents", response_class=HTMLResponse)
async def incidents_list(
    request: Request, session: SessionDep, console: ConsoleDep, now: NowDep
) -> Response:
    if not may_see_incidents(console):
        return render(request, "no_access.html", {}, console=console, status_code=403)
    open_, closed = await incident_view.listing(session, console.principal)
    districts, categories = await incident_view.place_names(session)
    where = await incident_view.addresses(session, [*open_, *closed])
    context: dict[str, Any] = {
        "open_incidents": open_,
        "closed_incidents": closed,
        "area": lambda i: incident_view.area(i, districts, where.get(i.id, [])),
        "categories": categories,
        "refresh": REFRESH_SECONDS,
        "checked_at": now,
    }
    return render(request, "incidents.html", context, console=console, now=now)


async def incident_context(
    session: AsyncSession, console: Console, incident_id: int
) -> dict[str, Any]:
    """Everything the incident page shows (NotFound when the person may not see it)."""
    incident = await queries.get_incident(session, incident_id, principal=console.principal)
    districts, categories = await incident_view.place_names(session)
    tickets = await incident_view.ticket_rows(session, incident, console.principal)
    return {
        "incident": incident,
        # The streets of all its tickets (streets only, as in the list; never a house).
        "area": incident_view.area(
            incident,
            districts,
            (await incident_view.addresses(session, [incident])).get(incident.id or 0, []),
        ),
        "category": categories.get(incident.category_code, incident.category_code),
        "departments": [console.department_names.get(d, d) for d in incident.departments],
        "active": [t for t in tickets if t.unlinked_at is None],
        "history": [t for t in tickets if t.unlinked_at is not None],
        "messages": await incident_view.message_rows(session, incident, console.principal),
        "is_open": incident.status in OPEN_INCIDENT_STATUSES,
        "may_publish": incident.status in ("confirmed", "resolving"),
        "may_dismiss": incident.status in ("suspected", "confirmed"),
    }


async def show_incident(
    request: Request,
    session: AsyncSession,
    console: Console,
    incident_id: int,
    now: Any,
    *,
    done: str = "",
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        context = await incident_context(session, console, incident_id)
    except NotFound:
        return not_found_page(request, console)
    context.update(done_text=DONE.get(done), error=error, form=typed or {}, checked_at=now)
    return render(
        request, "incident.html", context, console=console, now=now, status_code=status_code
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(
    request: Request,
    incident_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    now: NowDep,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    if not may_see_incidents(console):
        return render(request, "no_access.html", {}, console=console, status_code=403)
    return await show_incident(request, session, console, incident_id, now, done=done)
