"""«Платформа обратной связи» (ПОС): one row of the back-office (ЛК ОА) Excel export → draft.

Every column read is checked here, row by row, so a bad row is reported with its reason and
the import goes on: «Номер» is ПОС's number (digits only: «б/н» would merge every such row
into one ticket), dates lie between 2000 and a day from now (a planned date up to a year),
texts fit the fields they are stored in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from app.connectors.base import ConnectorPayloadError, ExportFormat
from app.connectors.common import PLANNED_HORIZON, RowErrors, clean, yes
from app.connectors.feedback_platform.inbound import FORWARDS, NAME, STATUS_MAP, rating
from app.models.common import Channel, Kind, Status
from app.models.drafts import TicketDraft

# Russian labels of the back-office export, matched by their beginning.
LABELS: tuple[tuple[str, str], ...] = (
    ("на модерации", "MODERATION_NEW"),
    ("принято модератором", "MODERATION_ACCEPT"),
    ("отклонено модератором", "MODERATION_DECLINE"),
    ("назначен исполнитель", "SET_EXECUTOR"),
    ("взято в работу", "TAKE_TO_WORK"),
    ("в работе", "TAKE_TO_WORK"),
    ("перенос срока", "POSTPONE"),
    ("отправлен ответ", "SEND_RESPONSE"),
    ("направлено в подведомственную", "FORWARD_TO_SUBORDINATE"),
    ("передано в вышестоящую", "FORWARD_TO_PARENT"),
)
NUMBER = re.compile(r"[0-9]{1,19}")
# Columns read as text, and the most each may hold (the fields they are stored in).
TEXT_BOUNDS: dict[str, int] = {
    "Статус": 64,  # an unknown label is kept as the source status
    "Категория": 160,  # the three names, joined, are the source category (500)
    "Подкатегория": 160,
    "Факт": 160,
    "Тип решения": 500,
    "Номер ЕПГУ": 64,
    "Источник": 100,
    "Организация, в которой находится сообщение": 500,
    "Стадия": 100,
    "ФЗ": 64,
    "Фаст-трек": 64,
    "Заявитель выбрал подачу по 59-ФЗ": 64,
    "Оценка ответа заявителем": 16,
}
_EXTRA_COLUMNS = (
    ("epguNumber", "Номер ЕПГУ"),
    ("posChannel", "Источник"),
    ("organization", "Организация, в которой находится сообщение"),
    ("decisionType", "Тип решения"),
    ("stage", "Стадия"),
)


def status_code_for_label(label: str | None) -> str | None:
    """The ПОС status code for a back-office label («Назначен исполнитель» → SET_EXECUTOR), or
    the code itself where a sheet holds codes (SEND_RESPONSE, as the API names it)."""
    text = (label or "").strip()
    if text.upper() in STATUS_MAP:
        return text.upper()
    return next((code for prefix, code in LABELS if text.lower().startswith(prefix)), None)


@dataclass(frozen=True)
class _ExportRow:
    """The checked values of one export row."""

    number: str
    received: datetime
    planned: datetime | None
    finished: datetime | None
    score: str | None
    texts: dict[str, str | None]


def _number(raw: object, errors: RowErrors) -> str | None:
    # Excel keeps numbers as floats: 563007235.0 is «563007235».
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    number = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else clean(raw)
    if number is None:
        errors.add("Номер", "required", "missing")
        return None
    if not NUMBER.fullmatch(number):
        errors.add("Номер", "expected the ПОС number: digits only, at most 19", "number")
        return None
    return str(int(number))  # «00123» is message 123, as a pushed `"posId": "00123"` is


def _checked_export_row(row: Mapping[str, object], tz: ZoneInfo, now: datetime) -> _ExportRow:
    """The row's checked values, or ConnectorPayloadError naming every bad column."""
    errors = RowErrors()
    number = _number(row.get("Номер"), errors)
    received = errors.date(row, "Дата поступления", tz=tz, now=now, required=True)
    planned = errors.date(
        row, "Дата планируемого завершения работ", tz=tz, now=now, horizon=PLANNED_HORIZON
    )
    finished = errors.date(row, "Дата фактического завершения работ", tz=tz, now=now)
    texts = {column: errors.text(row, column, bound) for column, bound in TEXT_BOUNDS.items()}
    score = texts["Оценка ответа заявителем"]
    if score is not None and score not in {"1", "2", "3", "4", "5"}:
        errors.add("Оценка ответа заявителем", "expected 1–5 or «-»", "value")
    if errors or number is None or received is None:
        raise ConnectorPayloadError(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors
        )
    return _ExportRow(number, received, planned, finished, score, texts)


def _end_of_planned_day(planned: datetime, tz: ZoneInfo) -> datetime:
    """A planned date is a whole day: the work is due by the end of it, city time."""
    end = datetime.combine(planned.astimezone(tz).date(), time(23, 59, 59), tzinfo=tz)
    return end.astimezone(planned.tzinfo)


def _export_extra(checked: _ExportRow, *, fast_track: bool, due: datetime | None) -> dict[str, Any]:
    """The source fields kept beside the draft (the same keys the pushed message gives)."""
    # The back-office export has no message text: the ticket's is made up (no duplicate search).
    extra: dict[str, Any] = {"fastTrack": fast_track, "posId": checked.number, "text_missing": True}
    if due is not None:
        extra["answerAt"] = due.isoformat()
    if checked.finished is not None:
        extra["completedAt"] = checked.finished.isoformat()
    for key, column in _EXTRA_COLUMNS:
        if checked.texts[column]:
            extra[key] = checked.texts[column]
    if checked.score is not None:
        extra["rating"] = int(checked.score)
    return extra


def draft_from_export_row(row: Mapping[str, object], *, tz: ZoneInfo, now: datetime) -> TicketDraft:
    """One row of the ЛК ОА Excel export (columns by title) → draft, or ConnectorPayloadError."""
    checked = _checked_export_row(row, tz, now)
    number, score, texts = checked.number, checked.score, checked.texts
    label = texts["Статус"]
    code = status_code_for_label(label)
    status = STATUS_MAP.get(code) if code else None
    names = [n for n in (texts["Факт"], texts["Подкатегория"], texts["Категория"]) if n]
    source_category = " / ".join(reversed(names)) or None
    fz59 = "59" in (texts["ФЗ"] or "") or yes(texts["Заявитель выбрал подачу по 59-ФЗ"])
    fast_track = yes(texts["Фаст-трек"])
    due = _end_of_planned_day(checked.planned, tz) if checked.planned is not None else None
    reason = redirect = None
    if status == Status.rejected:
        reason = texts["Тип решения"] or label
        redirect = FORWARDS.get(code or "")
    text = (
        f"Сообщение ПОС № {number}: {source_category or 'без категории'}. "
        "Текст сообщения в выгрузке отсутствует."
    )
    return TicketDraft(
        source=NAME,
        source_id=number,
        kind=Kind.fz59_appeal if fz59 else Kind.pos_message,
        channel=Channel.gosuslugi,
        text=text,
        source_category=source_category,
        category_names=names,
        source_status=code or label,
        status=status,
        status_reason=reason,
        redirect_to=redirect,
        created_at=checked.received,
        fast_track=fast_track,
        source_due_at=due,
        feedback=rating(int(score) if score is not None else None),
        extra=_export_extra(checked, fast_track=fast_track, due=due),
    )


# The back-office (ЛК ОА) Excel export, for back-fill and cities without a push feed.
EXPORT = ExportFormat(
    NAME,
    "Номер",
    ("Номер", "Дата поступления", "Категория", "Статус"),
    None,
    draft_from_export_row,
    columns=(
        "Номер",
        "Дата поступления",
        "Дата планируемого завершения работ",
        "Дата фактического завершения работ",
        *TEXT_BOUNDS,
    ),
)
