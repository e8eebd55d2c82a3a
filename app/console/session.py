"""The console's signed session cookie and its CSRF token (session-bound)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from app.config import Settings

COOKIE = "appeals_console"
CSRF_FIELD = "csrf_token"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "testserver"}
_process_secret = secrets.token_urlsafe(32)
log = logging.getLogger(__name__)


@dataclass
class ConsoleSession:
    """What the cookie carries: the CSRF token always, the user once signed in."""

    csrf: str
    user_id: int | None = None


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    secret = settings.console_session_secret
    if not secret:
        secret = _process_secret
    return URLSafeTimedSerializer(secret, salt="appeals-console-session")


def read_session(request: Request, settings: Settings) -> ConsoleSession | None:
    """The valid session from the cookie, or None (missing, tampered with or expired)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data: dict[str, Any] = _serializer(settings).loads(
            raw, max_age=int(settings.console_session_hours * 3600)
        )
    except BadSignature:
        return None
    csrf = data.get("csrf")
    if not isinstance(csrf, str) or not csrf:
        return None
    uid = data.get("uid")
    return ConsoleSession(csrf=csrf, user_id=uid if isinstance(uid, int) else None)


def new_session(user_id: int | None = None) -> ConsoleSession:
    """A fresh session with a new CSRF token (on sign-in the token is rotated too)."""
    return ConsoleSession(csrf=secrets.token_urlsafe(32), user_id=user_id)


def cookie_secure(request: Request, settings: Settings) -> bool:
    if settings.console_cookie_secure is not None:
        return settings.console_cookie_secure
    return (request.url.hostname or "") not in _LOCAL_HOSTS


def write_session(
    response: Response, request: Request, settings: Settings, session: ConsoleSession
) -> None:
    """Set the signed cookie: HttpOnly, SameSite=Lax, Secure unless on localhost."""
    value = _serializer(settings).dumps({"csrf": session.csrf, "uid": session.user_id})
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(settings.console_session_hours * 3600),
        path="/console",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request, settings),
    )


def clear_session(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request, settings),
    )


def csrf_ok(session: ConsoleSession | None, submitted: object) -> bool:
    """The form's token equals the session's (constant-time)."""
    if session is None or not isinstance(submitted, str) or not submitted:
        return False
    return secrets.compare_digest(session.csrf.encode(), submitted.encode())
