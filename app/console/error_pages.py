"""Every error under /console is a Russian HTML page, never the API's English problem+json.

A mistyped address (``/console/nope``), a ticket id that is no number (``/console/tickets/abc``),
a parameter out of bounds or a domain refusal no page caught: each gets a page in the console's
frame with a link back to the inbox. Paths outside /console keep the API's handlers."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.console.deps import posted_lost, render
from app.errors import AppError

Handler = Callable[[Request, Exception], Awaitable[Response]]

# (heading, what to say) by status code.
PAGES = {
    400: ("Неверный запрос", "Запрос не удалось разобрать. Вернитесь на страницу и повторите."),
    403: ("Нет доступа", "Это действие или страница вам недоступны."),
    404: ("Страница не найдена", "Такой страницы в пульте нет. Проверьте адрес."),
    405: ("Действие недоступно", "Так эту страницу открыть нельзя. Вернитесь ко входящим."),
    409: ("Обращение уже изменилось", "Обновите страницу и повторите действие."),
    412: ("Обращение уже изменилось", "Обновите страницу и повторите действие."),
    422: ("Неверный адрес страницы", "В адресе страницы неверные значения. Проверьте ссылку."),
}
NO_TICKET = "Такого обращения нет или оно относится к другому отделу."
OTHER = ("Не получилось", "Не получилось открыть страницу. Повторите позже.")


def is_console(request: Request) -> bool:
    path = request.url.path
    return path == "/console" or path.startswith("/console/")


def error_page(
    request: Request, status: int, heading: str | None = None, text: str | None = None
) -> Response:
    title, said = PAGES.get(status, OTHER)
    # A form refused here keeps its words to copy (``deps.require_csrf`` kept them).
    context = {"heading": heading or title, "text": text or said, "lost": posted_lost(request)}
    return render(request, "error.html", context, status_code=status)


def _ticket_id_invalid(exc: RequestValidationError) -> bool:
    return any(tuple(e.get("loc", ()))[-1:] == ("ticket_id",) for e in exc.errors())


async def _validation(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RequestValidationError) and _ticket_id_invalid(exc):
        return error_page(request, 404, "Обращение не найдено", NO_TICKET)
    return error_page(request, 422)


async def _http(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    return error_page(request, status)


async def _app_error(request: Request, exc: Exception) -> Response:
    status = exc.status if isinstance(exc, AppError) else 500
    return error_page(request, status)


def install(app: FastAPI) -> None:
    """Wrap the API's handlers: a console path gets the Russian page, any other the API's."""
    for kind, ours in (
        (RequestValidationError, _validation),
        (StarletteHTTPException, _http),
        (AppError, _app_error),
    ):
        theirs = app.exception_handlers.get(kind)
        app.add_exception_handler(kind, _either(ours, theirs))


def _either(ours: Handler, theirs: Callable[[Request, Any], Any] | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_console(request) or theirs is None:
            return await ours(request, exc)
        answer = theirs(request, exc)
        return await answer if inspect.isawaitable(answer) else answer  # type: ignore[no-any-return]

    return handle
