"""«Инцидент Менеджмент» (IM): one row of the «Детализация» Excel export → draft.

Every column read is checked here, row by row, so a bad row is reported with its reason and
the import goes on: the post URL is the item's identity and must fit the stored link, the date
lies between 2000 and a day from now, texts fit the fields they are stored in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.connectors.base import ConnectorPayloadError, ExportFormat
from app.connectors.common import RowErrors, channel_for, is_post_url, post_url_key
from app.connectors.incident_management.inbound import (
    NAME,
    THEME_MAX,
    close_reason,
    priority_for,
    theme_names,
)
from app.models.common import Kind, Status
from app.models.drafts import TicketDraft

# Columns read as text, and the most each may hold (the fields they are stored in).
TEXT_BOUNDS: dict[str, int] = {
    "Урл блога": 1000,  # the ticket's source link
    "Текст": 20_000,
    "Группа тем": THEME_MAX,
    "Тема": THEME_MAX,
    "Важность": 32,
    "Причина закрытия": 200,
    "Муниципалитет": 300,
    "Отдел / Исполнитель": 300,
    "Время до ответа, ч:м:с": 32,
}
_EXTRA_COLUMNS = (
    ("municipality", "Муниципалитет"),
    ("executor", "Отдел / Исполнитель"),
    ("time_to_answer", "Время до ответа, ч:м:с"),
)


def draft_from_export_row(row: Mapping[str, object], *, tz: ZoneInfo, now: datetime) -> TicketDraft:
    """One row of the «Детализация» export (columns by title) → draft, or ConnectorPayloadError."""
    errors = RowErrors()
    texts = {column: errors.text(row, column, bound) for column, bound in TEXT_BOUNDS.items()}
    url = texts["Урл блога"]
    if url is None and not any(e["field"] == "Урл блога" for e in errors):
        errors.add("Урл блога", "required", "missing")
    elif url is not None and not is_post_url(url):
        errors.add("Урл блога", "expected the post's URL (https://…)", "url")
        url = None
    created = errors.date(row, "Дата создания", tz=tz, now=now, required=True)
    importance = texts["Важность"] or "Обычная"
    priority = priority_for(importance)
    if priority is None:
        errors.add("Важность", "expected Высокая, Обычная or ЛС", "enum")
    if errors or url is None or created is None or priority is None:
        raise ConnectorPayloadError(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors
        )
    names, source_category = theme_names(texts["Тема"], texts["Группа тем"])
    # The export may lack the post text; then the ticket says what and where, and links it.
    text = texts["Текст"] or f"{source_category or 'Пост без темы'}: {url}"
    closure = texts["Причина закрытия"]
    extra: dict[str, Any] = {"importance": importance}
    if importance.lower() == "лс":
        extra["private_message"] = True
    for key, column in _EXTRA_COLUMNS:
        if texts[column]:
            extra[key] = texts[column]
    if closure:
        extra["closure_reason"] = closure
    if not texts["Текст"]:
        extra["text_missing"] = True  # the text is made up: no duplicate search on it
    return TicketDraft(
        source=NAME,
        source_id=post_url_key(url),
        kind=Kind.social_post,
        channel=channel_for(None, url),
        text=text,
        source_category=source_category,
        category_names=names,
        source_url=url,
        source_status="closed" if closure else None,
        priority=priority,
        status=Status.closed if closure else None,
        status_reason=closure,
        created_at=created,
        feedback=close_reason(closure),
        extra=extra,
    )


# The «Детализация» sheet of the IM Excel export.
EXPORT = ExportFormat(
    NAME,
    "Урл блога",
    ("Урл блога", "Дата создания", "Группа тем", "Тема"),
    "Детализация",
    draft_from_export_row,
    columns=("Дата создания", *TEXT_BOUNDS),
)
