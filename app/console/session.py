"""The console's cookies: the opaque id of a server-side session (``access.sessions``) and,
before sign-in, the sign-in form's CSRF token (signed; it grants nothing)."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from app.config import Settings

COOKIE = "appeals_console"  # the session id, after sign-in
LOGIN_COOKIE = "appeals_console_login"  # the sign-in form's CSRF token, before it
CSRF_FIELD = "csrf_token"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "testserver"}
_process_secret = secrets.token_urlsafe(32)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    secret = settings.console_session_secret or _process_secret
    return URLSafeTimedSerializer(secret, salt="appeals-console-login")


def _max_age(settings: Settings) -> int:
    return int(settings.console_session_hours * 3600)


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def read_login_csrf(request: Request, settings: Settings) -> str | None:
    """The sign-in form's CSRF token from its signed cookie, or None."""
    raw = request.cookies.get(LOGIN_COOKIE)
    if not raw:
        return None
    try:
        csrf = _serializer(settings).loads(raw, max_age=_max_age(settings))
    except BadSignature:
        return None
    return csrf if isinstance(csrf, str) and csrf else None


def session_token(request: Request) -> str | None:
    """The opaque session id the browser sent (checked against the database by the caller)."""
    return request.cookies.get(COOKIE) or None


def cookie_secure(request: Request, settings: Settings) -> bool:
    if settings.console_cookie_secure is not None:
        return settings.console_cookie_secure
    return (request.url.hostname or "") not in _LOCAL_HOSTS


def _set(response: Response, request: Request, settings: Settings, name: str, value: str) -> None:
    """HttpOnly, SameSite=Lax, Secure unless on localhost, for /console only."""
    response.set_cookie(
        name,
        value,
        max_age=_max_age(settings),
        path="/console",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request, settings),
    )


def write_login_csrf(response: Response, request: Request, settings: Settings, csrf: str) -> None:
    _set(response, request, settings, LOGIN_COOKIE, _serializer(settings).dumps(csrf))


def write_session(response: Response, request: Request, settings: Settings, token: str) -> None:
    """The session's cookie; the sign-in form's token is dropped (the session has its own)."""
    _set(response, request, settings, COOKIE, token)
    _delete(response, request, settings, LOGIN_COOKIE)


def clear_session(response: Response, request: Request, settings: Settings) -> None:
    _delete(response, request, settings, COOKIE)


def _delete(response: Response, request: Request, settings: Settings, name: str) -> None:
    response.delete_cookie(
        name,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request, settings),
    )


def csrf_ok(expected: str | None, submitted: object) -> bool:
    """The form's token equals the expected one (constant-time)."""
    if not expected or not isinstance(submitted, str) or not submitted:
        return False
    return secrets.compare_digest(expected.encode(), submitted.encode())
