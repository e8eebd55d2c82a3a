"""RFC 9457 problem+json for every error: domain errors, FastAPI's own, and the unexpected."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.data_errors import data_error_cause
from app.errors import AppError

log = logging.getLogger("app.api.problems")

PROBLEM = "application/problem+json"
TYPE_BASE = "https://appeals.example/problems/"


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


_HTTP_TITLES = {
    400: ("Bad request", "bad-request"),
    401: ("Unauthorized", "unauthorized"),
    403: ("Forbidden", "forbidden"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    406: ("Not acceptable", "not-acceptable"),
    413: ("Payload too large", "payload-too-large"),
    415: ("Unsupported media type", "unsupported-media-type"),
}


def _is_db_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, OSError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    name = type(exc).__name__
    if name == "InterfaceError" and "closed" in str(exc):
        return True  # asyncpg on a connection the server dropped: "connection is closed"
    if name == "InternalClientError":
        return True  # asyncpg on a connection a dropped server left mid-operation
    if name in {
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "TooManyConnectionsError",
        "AdminShutdownError",
        "ConnectionFailureError",
    }:
        return True
    # The server is shutting down or starting up (SQLSTATE 57P0x) or the link broke (08xxx).
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    return sqlstate.startswith(("57P", "08"))


def _caused_by_db_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` or anything in its cause/context chain means "database unavailable"."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _is_db_unavailable(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        errors.append(
            {"field": ".".join(loc), "message": err.get("msg", ""), "type": err.get("type")}
        )
    return errors


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (FastAPI has one route per method)."""
    allowed = []
    for method in ("DELETE", "GET", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    return problem_response(
        exc.status,
        exc.title,
        exc.detail,
        slug=exc.type_slug,
        request=request,
        headers=exc.headers or None,
        **exc.extra,
    )


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = _field_errors(exc)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "invalid request"
    return problem_response(
        422,
        "Validation failed",
        detail,
        slug="validation-failed",
        request=request,
        errors=errors,
    )


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        # A body that is not JSON at all (bad bytes) is invalid input like any other: 422.
        return problem_response(
            422,
            "Validation failed",
            "the body is not valid JSON",
            slug="validation-failed",
            request=request,
            errors=[{"field": "body", "message": "not valid JSON", "type": "json_invalid"}],
        )
    title, slug = _HTTP_TITLES.get(exc.status_code, ("Error", "http-error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return problem_response(
        exc.status_code,
        title,
        detail,
        slug=slug,
        request=request,
        headers=headers or None,
    )


async def unexpected_response(request: Request, exc: Exception) -> JSONResponse:
    """The answer to an error nothing else handled: 422 for a value PostgreSQL refused (with
    its real cause), 503 when the database is unavailable, else a logged 500."""
    cause = data_error_cause(exc)
    if cause is not None:
        return problem_response(
            422,
            "Validation failed",
            f"the input cannot be stored: {cause}",
            slug="validation-failed",
            request=request,
            errors=[],
        )
    if _caused_by_db_unavailable(exc):
        log.warning("database unavailable: %s", type(exc).__name__)
        return problem_response(
            503,
            "Service unavailable",
            "the database is unavailable; retry later",
            slug="service-unavailable",
            request=request,
            headers={"Retry-After": "5"},
        )
    # The traceback goes to the log scrubbed (app.logging_setup): no bound parameters, no
    # PostgreSQL DETAIL line (it quotes the row's values).
    log.exception("unhandled error: %s", type(exc).__name__)
    # This response may be sent outside the request-id middleware: echo the id here.
    request_id = getattr(request.state, "request_id", None)
    return problem_response(
        500,
        "Internal server error",
        "an unexpected error occurred; it has been logged",
        slug="internal-error",
        request=request,
        headers={"X-Request-ID": request_id} if request_id else None,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as problem+json: domain errors, FastAPI's own, the unexpected.

    The unexpected are answered inside the app by ``UnexpectedErrorMiddleware``
    (app/api/middleware.py); the ``Exception`` handler here is Starlette's last resort for an
    error in the outermost middleware, which answers and then re-raises, so the server drops
    the kept-alive connection.
    """
    app.exception_handler(AppError)(_app_error)
    app.exception_handler(RequestValidationError)(_validation)
    app.exception_handler(StarletteHTTPException)(_http)
    app.exception_handler(Exception)(unexpected_response)
    app.exception_handler(DBAPIError)(unexpected_response)
    app.exception_handler(OSError)(unexpected_response)
