"""Mounting the console on the app: its routers, static files and its two error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from app.access.login_lockout import UnknownLogins
from app.console import (
    actions,
    digest_page,
    error_pages,
    inbox_page,
    incident_actions,
    incidents_page,
    notes,
    overview,
    routes,
)
from app.console.deps import CsrfRefused, LoginRequired, posted_lost, render, settings_of
from app.console.kept_text import KeptTexts
from app.console.lost_text import lost
from app.console.session import clear_session
from app.console.typed import typed_of


def install(app: FastAPI) -> None:
    """Mount the console's routes, static files and its two error pages on ``app``."""
    app.state.unknown_logins = UnknownLogins()  # failed sign-ins of logins that name no one
    app.include_router(overview.router)  # the head's overview and the press digest
    app.include_router(digest_page.router)
    app.include_router(inbox_page.router)
    app.include_router(routes.router)
    app.include_router(actions.router)
    app.include_router(notes.router)
    app.include_router(incidents_page.router)  # mass incidents (issue 20)
    app.include_router(incident_actions.router)
    app.mount(
        "/console/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="console-static",
    )

    app.state.kept_texts = KeptTexts()  # words of a form posted after the session ended

    async def login_required(request: Request, exc: Exception) -> Response:
        where = "/console/login"
        typed = await typed_of(request) if request.method == "POST" else None
        words = lost(typed, frozenset())
        if words is not None:  # shown on the sign-in page and after it (console.kept_text)
            where += "?kept=" + app.state.kept_texts.keep(words, request.url.path)
        response = RedirectResponse(where, status_code=303)
        clear_session(response, request, settings_of(request))  # a cookie of an ended session
        return response

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        context = {"lost": posted_lost(request)}  # typed words come back to copy
        response: HTMLResponse = render(request, "csrf.html", context, status_code=403)
        return response

    error_pages.install(app)  # every other error under /console: a Russian page
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfRefused, csrf_refused)
