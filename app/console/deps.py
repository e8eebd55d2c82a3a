"""Console plumbing: who is signed in, CSRF on forms, rendering, error pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.access.api_keys import Principal
from app.access.sessions import SessionLimits, resume_session
from app.access.users import get_active_user, principal_for
from app.access.visibility import Viewer
from app.api.deps import NowDep, SessionDep
from app.config import Settings
from app.console import labels
from app.console.lost_text import Lost, lost
from app.console.session import CSRF_FIELD, csrf_ok, session_token
from app.console.timefmt import deadline_state, local_time
from app.console.typed import Typed, typed_of
from app.directory import service as directory
from app.models.common import Role

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(labels=labels, csrf_field=CSRF_FIELD)


class LoginRequired(Exception):
    """No valid session: the browser goes to the sign-in page."""


class CsrfRefused(Exception):
    """A form without the session's CSRF token."""


@dataclass(frozen=True)
class UserView:
    """A plain copy of the signed-in user (safe to use after a rollback)."""

    id: int
    login: str
    name: str
    role: str
    department_code: str | None
    department_name: str | None = None


@dataclass
class Console:
    """The signed-in person for one request."""

    user: UserView
    principal: Principal
    csrf: str  # the session's CSRF token (every form carries it)
    settings: Settings
    can_triage: bool = False
    in_triage: bool = False  # works in the triage department (admins see all anyway)
    # Every department's name by code: pages show names, never codes.
    department_names: dict[str, str] = field(default_factory=dict)

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.principal, triage=self.in_triage)


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def current_console(request: Request, session: SessionDep, now: NowDep) -> Console:
    """The signed-in person: the cookie's session must be live in the database (ended by
    sign-out, disabling or a new password at once, on every replica) and the user enabled."""
    settings = settings_of(request)
    live = await resume_session(
        session, session_token(request), now=now, limits=SessionLimits.of(settings)
    )
    if live is None:
        await session.commit()  # an expired session is deleted for good, not rolled back
        raise LoginRequired
    user = await get_active_user(session, live.user_id)
    if user is None:
        raise LoginRequired
    departments = await directory.list_departments(session)
    department = next((d for d in departments if d.code == user.department_code), None)
    in_triage = bool(department and department.is_triage)
    assert user.id is not None
    view = UserView(
        user.id,
        user.login,
        user.name,
        user.role,
        user.department_code,
        department.name if department else None,
    )
    can_triage = user.role == Role.admin or in_triage
    console = Console(view, principal_for(user), live.csrf, settings, can_triage, in_triage)
    console.department_names = {d.code: d.name for d in departments}
    return console


ConsoleDep = Annotated[Console, Depends(current_console)]


async def require_csrf(request: Request, console: ConsoleDep) -> None:
    """Refuse (403) a posted form without the session's CSRF token (checked before the form's
    fields are used; the form is parsed once per request)."""
    form = await request.form()
    # Kept for the error pages: a form refused here or a ticket gone shows what was typed.
    request.state.console_posted = await typed_of(request)
    if not csrf_ok(console.csrf, form.get(CSRF_FIELD)):
        raise CsrfRefused


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    console: Console | None = None,
    now: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings = settings_of(request)
    tz = settings.tz
    ctx = {
        "console": console,
        "csrf": console.csrf if console else context.get("csrf", ""),
        "local": lambda value: local_time(value, tz),
        "deadline": (lambda ticket: deadline_state(ticket, now)) if now else None,
        "typed": Typed(),
        **context,
    }
    # A refused form shown again (console.redisplay): what was typed and why it was refused.
    if getattr(request.state, "console_typed", None) is not None:
        ctx["typed"] = request.state.console_typed
        ctx["error"] = request.state.console_error
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    return response


def back_to(path: str, **params: str) -> RedirectResponse:
    """303 after a POST (the browser then GETs the page)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)


def posted_lost(request: Request) -> Lost | None:
    """The words typed into the posted form (``require_csrf`` kept them) that no page will
    take back now: every form is gone from an error page."""
    return lost(getattr(request.state, "console_posted", None), frozenset())


def not_found_page(
    request: Request, console: Console | None, carried: Lost | None = None
) -> HTMLResponse:
    context = {"lost": carried or posted_lost(request)}
    return render(request, "not_found.html", context, console=console, status_code=404)


__all__ = ["NowDep", "SessionDep"]
