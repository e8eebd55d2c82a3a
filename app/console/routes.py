"""Console pages: sign-in and sign-out, the inbox, the ticket page, triage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.sessions import SessionLimits, end_session, start_session
from app.access.users import AccountLocked, sign_in
from app.access.visibility import sees
from app.api.deps import NowDep, RowId, SessionDep
from app.console import (
    labels,
    sstu_panel,
    ticket_extras,
    ticket_panels,
    timeline,
)
from app.console.deps import (
    Console,
    ConsoleDep,
    CsrfRefused,
    not_found_page,
    render,
    require_csrf,
    settings_of,
)
from app.console.duplicate_view import suggestion_why
from app.console.forms import LoginForm
from app.console.lost_text import Lost
from app.console.paging import STALE_CURSOR, cursor_page
from app.console.session import (
    clear_session,
    csrf_ok,
    new_csrf,
    read_login_csrf,
    session_token,
    write_login_csrf,
    write_session,
)
from app.console.targets import row_targets
from app.console.triage_view import preselected, returns
from app.dedup import actions as duplicates
from app.dedup.related import related_tickets, suggestion_pairs
from app.directory import service as directory
from app.errors import AppError, NotFound, Unauthorized
from app.models.common import OPEN_STATUSES, Status
from app.models.routing import ExplainRequest, ExplainResult
from app.models.tickets import Ticket
from app.routing.service import explain
from app.tickets import actions as ticket_actions
from app.tickets.presenters import applicant_public
from app.tickets.queries import TicketFilters
from app.tickets.service import get_visible_ticket, load_applicant

router = APIRouter(prefix="/console", include_in_schema=False)
SESSION_ENDED = "Сеанс завершился до отправки формы «{form}»: действие не выполнено."
PAGE = 25
OPEN = sorted(s.value for s in OPEN_STATUSES)


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request, kept: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    settings = settings_of(request)
    csrf = read_login_csrf(request, settings) or new_csrf()
    context = {"csrf": csrf, "error": None, **_kept(request, kept)}
    response = render(request, "login.html", context)
    write_login_csrf(response, request, settings, csrf)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, session: SessionDep, now: NowDep, data: Annotated[LoginForm, Form()]
) -> Response:
    settings = settings_of(request)
    csrf = read_login_csrf(request, settings)
    if not csrf_ok(csrf, data.csrf_token):
        raise CsrfRefused
    login_name, password = data.login, data.password
    try:
        user = await sign_in(
            session,
            login=login_name,
            password=password,
            now=now,
            unknown=request.app.state.unknown_logins,
        )
    except AccountLocked:
        error, status = "Слишком много неудачных попыток. Вход временно заблокирован.", 429
    except Unauthorized:
        error, status = "Неверный логин или пароль.", 401
    else:
        assert user.id is not None
        # A new session id and CSRF token (never the ones from before sign-in); a session this
        # browser still had ends.
        await end_session(session, session_token(request))
        token, _ = await start_session(session, user.id, now=now, limits=SessionLimits.of(settings))
        back = request.app.state.kept_texts.peek(data.kept)
        where = f"{back.back}?kept={data.kept}" if back else "/console"
        response = RedirectResponse(where, status_code=303)
        write_session(response, request, settings, token)
        return response
    # The failure counter is committed with the request (the session commits on return).
    return render(
        request,
        "login.html",
        {"csrf": csrf, "error": error, "login": login_name, **_kept(request, data.kept)},
        status_code=status,
    )


def _carried(lost: Lost) -> dict[str, Any]:
    return {"lost": lost, "lost_why": SESSION_ENDED.format(form=lost.form)}


def _kept(request: Request, token: str) -> dict[str, Any]:
    """The words a form lost when its session ended (``console.kept_text``), to show."""
    kept = request.app.state.kept_texts.peek(token)
    return {"kept": token if kept else "", "lost": kept.lost if kept else None}


@router.post("/logout", dependencies=[Depends(require_csrf)])
async def logout(request: Request, session: SessionDep) -> Response:
    """The session ends in the database (a copy of the cookie signs no one in) and the
    browser drops the cookie."""
    await end_session(session, session_token(request))
    response = RedirectResponse("/console/login", status_code=303)
    clear_session(response, request, settings_of(request))
    return response


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(
    request: Request,
    ticket_id: RowId,
    session: SessionDep,
    console: ConsoleDep,
    now: NowDep,
    done: Annotated[str, Query(max_length=32)] = "",
    error: Annotated[str, Query(max_length=32)] = "",
    field: Annotated[str, Query(max_length=200)] = "",
    kept: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    principal = console.principal
    # Words typed before the session ended, shown once after signing in (console.kept_text).
    carried = request.app.state.kept_texts.take(kept) if kept else None
    try:
        ticket = await get_visible_ticket(session, ticket_id, principal=principal)
    except NotFound:
        return not_found_page(request, console, carried.lost if carried else None)
    applicant = applicant_public(
        await load_applicant(session, ticket), full=principal.may_read_personal_data
    )
    events = await ticket_actions.list_events(session, ticket_id, principal=principal)
    answers = await ticket_actions.list_answers(session, ticket_id, principal=principal)
    departments = await directory.list_departments(session)
    department = next((d for d in departments if d.code == ticket.department_code), None)
    category_names = {c.code: c.name for c in await directory.list_categories(session)}
    actors = [e.actor for e in events] + [a.author for a in answers]
    names = timeline.Names(
        console.department_names,
        category_names,
        await timeline.user_names(session, actors),
        await timeline.ticket_numbers(session, events, console.principal),
    )
    districts = {d.code: d.name for d in await directory.list_districts(session)}
    return render(
        request,
        "ticket.html",
        {
            "ticket": ticket,
            "applicant": applicant,
            "events": timeline.rows(events, ticket, names),
            "answers": answers,
            "actor": lambda name: timeline.actor_name(name, names.users),
            "related": await related_tickets(session, ticket, viewer=console.viewer),
            "departments": [d for d in departments if d.active and not d.is_triage],
            "department": department,
            "category_names": category_names,
            "district": districts.get(ticket.district_code or "", ticket.district_code),
            "status": Status(ticket.status),
            "open": Status(ticket.status) in OPEN_STATUSES,
            "done": done,
            "error": labels.error_message(error, field),
            "sstu": await sstu_panel.panel(session, ticket),
            **await ticket_extras.extras(
                session, ticket, getattr(request.state, "console_typed", None)
            ),
            **await ticket_panels.panels(session, ticket, events, console, now),
            **(_carried(carried.lost) if carried else {}),
        },
        console=console,
        now=now,
    )


@router.get("/triage", response_class=HTMLResponse)
async def triage(
    request: Request,
    session: SessionDep,
    console: ConsoleDep,
    now: NowDep,
    cursor: Annotated[str, Query(max_length=500)] = "",
    done: Annotated[str, Query(max_length=32)] = "",
    error: Annotated[str, Query(max_length=32)] = "",
    field: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    triage_dept = await directory.triage_department(session)
    principal = console.principal
    if not console.can_triage:
        text = f"Разбор доступен отделу «{triage_dept.name}» и администраторам."
        context = {"heading": "Разбор вам недоступен", "text": text}
        return render(request, "error.html", context, console=console, status_code=403)
    filters = TicketFilters(status=OPEN, department=triage_dept.code)
    page = cursor_page(session, principal, filters, sort="resolution_due_at", limit=PAGE, now=now)
    rows, next_cursor, stale = await page(cursor)
    items = [(t, await _routing_hint(session, t)) for t, _ in rows]
    returned = await returns(session, [t.id for t, _ in rows])
    category_names = {c.code: c.name for c in await directory.list_categories(session)}
    suggestions = await duplicates.list_suggestions(
        session, viewer=console.viewer, status="open", limit=PAGE
    )
    departments = await directory.list_departments(session)
    choosable = {d.code for d in departments if d.active and not d.is_triage}
    sure = console.settings.routing_model_min_confidence
    return render(
        request,
        "triage.html",
        {
            "items": items,
            "preselect": lambda t, hint: preselected(
                hint, choosable, min_confidence=sure, returned=returned.get(t.id, ())
            ),
            "returned": returned,
            "row_targets": lambda ticket: row_targets(ticket, now),
            "dup_why": suggestion_why,
            "pairs": await suggestion_pairs(session, suggestions, viewer=console.viewer),
            "openable": _openable(console),
            "next_cursor": next_cursor,
            "departments": [d for d in departments if d.active and not d.is_triage],
            "names": {d.code: d.name for d in departments},
            "category_names": category_names,
            "why": lambda hint: timeline.routing_reason(
                hint.method,
                rule=hint.rule.name if hint.rule else None,
                category=category_names.get(hint.category, hint.category),
                confidence=hint.confidence,
            ),
            "done": done,
            "error": labels.error_message(error, field),
            "notice": STALE_CURSOR if stale else None,
        },
        console=console,
        now=now,
    )


def _openable(console: Console) -> Any:
    """Whether the viewer may open a ticket's page (else the page shows its number only)."""
    return lambda ticket: sees(console.principal, ticket.department_code)


async def _routing_hint(session: AsyncSession, ticket: Ticket) -> ExplainResult | None:
    """Where routing would send the ticket now and which rules almost matched."""
    payload: dict[str, Any] = {
        "text": ticket.text[:20_000] or "—",
        "source": ticket.source,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "category": ticket.category_code,
        "source_category": ticket.source_category,
        "priority": ticket.priority,
        "address": ticket.address,
        "lat": ticket.lat,
        "lon": ticket.lon,
        "district": ticket.district_code,
    }
    try:
        return await explain(session, ExplainRequest(**payload))
    except (AppError, ValidationError):
        return None
