"""Why the console refused an action, in Russian.

The domain's errors (``app.errors.AppError``) carry English details for API clients; the console
never shows them. It maps each refusal to a fixed Russian text here: by the error's type and
field, then by the shape of its English detail, and by the structured data it carries (an
illegal move names the current status and the allowed ones). Unknown refusals get a general
Russian text by type, never the English words."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import ValidationError

from app.console import labels
from app.console.redisplay import Unconfirmed
from app.errors import (
    AppError,
    Conflict,
    Forbidden,
    IllegalTransition,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)

# (error type, a pattern of its English detail, the Russian text), first match wins.
BY_DETAIL: tuple[tuple[type[AppError], str, str], ...] = (
    (ValidationFailed, r"merged into itself|merges into another ticket that is not itself",
     "Обращение не может быть дубликатом самого себя или объединённого обращения."),
    (ValidationFailed, r"is itself merged into",
     "Выбранное основное обращение само объединено с другим: укажите то, с которым объединено."),
    (ValidationFailed, r"merged into a rejected",
     "Нельзя объединить с отклонённым обращением."),
    (ValidationFailed, r"^ticket \d+ does not exist",
     "Такого обращения нет среди доступных вам."),
    (ValidationFailed, r"^ticket \d+ is not merged", "Обращение не объединено с другим."),
    (ValidationFailed, r"only open tickets move between departments",
     "Передать в другой отдел можно только открытое обращение."),
    (ValidationFailed, r"^the ticket is already in", "Обращение уже в этом отделе."),
    (ValidationFailed, r"^department '.*' does not exist", "Такого отдела нет."),
    (ValidationFailed, r"an interim answer is for open tickets",
     "Промежуточный ответ даётся только по открытому обращению."),
    (ValidationFailed, r"needs a reason", "Укажите причину."),
    (ValidationFailed, r"the extension is at most (\d+) days",
     "Продлить можно не больше чем на {0} дней."),
    (ValidationFailed, r"closing a 59-ФЗ appeal needs",
     "Для ответа по 59-ФЗ укажите результат рассмотрения для ССТУ.РФ: код и итог каждого "
     "вопроса."),
    (Conflict, r"only a 59-ФЗ appeal", "Продлить срок можно только у обращения по 59-ФЗ."),
    (Conflict, r"allows one extension", "Срок по 59-ФЗ продлевается один раз, и это уже сделано."),
    (Conflict, r"has no running deadline", "У обращения нет идущего срока: продлевать нечего."),
    (Conflict, r"term ran out",
     "Срок по 59-ФЗ уже истёк: продлить его можно было только до окончания срока."),
    (Forbidden, r"only the triage department or an admin routes",
     "Направлять обращения в отделы может только служба разбора или администратор."),
)  # fmt: skip

BY_TYPE: tuple[tuple[type[Exception], str], ...] = (
    (PreconditionFailed, labels.ERROR["conflict"]),
    (Conflict, labels.ERROR["conflict"]),
    (Forbidden, labels.ERROR["forbidden"]),
    (NotFound, "Обращение не найдено или недоступно вам."),
    (ValidationFailed, labels.ERROR["form"]),
    (ValidationError, labels.ERROR["form"]),
)


def _statuses(values: Iterable[object]) -> str:
    return ", ".join(f"«{labels.STATUS.get(str(v), str(v))}»" for v in values)


def _fields(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(e["loc"][-1]) for e in exc.errors() if e.get("loc")]
    if isinstance(exc, AppError) and exc.extra.get("field"):
        return [str(exc.extra["field"])]
    return []


def illegal_move(exc: IllegalTransition, target: str | None = None) -> str:
    """«Нельзя перевести обращение из «дан ответ» в «приостановлено»; можно: …»."""
    current = str(exc.extra.get("current") or "")
    if target is None:
        found = re.search(r"to '(\w+)'", exc.detail)
        target = found.group(1) if found else None
    text = "Это действие недоступно"
    if current:
        text = f"Нельзя перевести обращение из статуса «{labels.STATUS.get(current, current)}»"
        if target:
            text += f" в «{labels.STATUS.get(target, target)}»"
    allowed = exc.extra.get("allowed") or []
    return text + (f"; можно: {_statuses(allowed)}." if allowed else "; из него переходов нет.")


def refusal(exc: Exception) -> str:
    """The Russian text for a refused action (never the English detail)."""
    if isinstance(exc, Unconfirmed):
        return str(exc)
    if isinstance(exc, IllegalTransition):
        return illegal_move(exc)
    if isinstance(exc, AppError):
        for kind, pattern, text in BY_DETAIL:
            found = re.search(pattern, exc.detail) if isinstance(exc, kind) else None
            if found:
                return text.format(*found.groups())
    message = next((text for kind, text in BY_TYPE if isinstance(exc, kind)), None)
    message = message or labels.ERROR["failed"]
    named = [labels.FIELD[f] for f in dict.fromkeys(_fields(exc)) if f in labels.FIELD]
    if named and message.endswith("."):
        return f"{message[:-1]}: {', '.join(named)}."
    return message
