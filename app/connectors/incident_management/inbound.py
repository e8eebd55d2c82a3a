"""«Инцидент Менеджмент» (IM): the pushed incident object and the «Детализация» export row.

Assumption (IM has no public API): the webhook body is our own contract (DESIGN.md). The post
URL is the item's identity, because the Excel export carries nothing else («Урл блога»), so a
post imported first and pushed later is one ticket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from app.connectors.base import ConnectorPayloadError, ExportFormat, verify_standard_webhook
from app.connectors.common import channel_for, clean, parse_ru_date, post_url_key
from app.models.common import Kind, Priority, Source, Status
from app.models.drafts import ApplicantDraft, FeedbackDraft, TicketDraft
from app.models.feedback import Sentiment

NAME = Source.incident_management.value

PRIORITIES: dict[str, Priority] = {
    "высокая": Priority.high,
    "обычная": Priority.normal,
    "лс": Priority.normal,  # a private message: normal urgency, answered privately
}
STATUS_MAP: dict[str, Status | None] = {
    "new": None,
    "in_progress": Status.in_progress,
    "in_work": Status.in_progress,
    "answered": Status.answered,
    "resolved": Status.answered,
    "closed": Status.closed,
    "rejected": Status.rejected,
}
# «Причина закрытия»: how the author took the answer.
CLOSE_REASONS: dict[str, Sentiment] = {
    "автор доволен": Sentiment.positive,
    "автор нейтрален": Sentiment.neutral,
    "автор недоволен": Sentiment.negative,
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ImAuthor(_Body):
    name: str | None = Field(default=None, max_length=300)
    profile_url: str | None = Field(default=None, max_length=500)


class ImAttachment(_Body):
    url: str = Field(min_length=1, max_length=2000)
    type: str | None = Field(default=None, max_length=32)


class ImLocation(_Body):
    address: str | None = Field(default=None, max_length=1000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class ImIncident(_Body):
    id: str | int
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None
    network: str | None = Field(default=None, max_length=32)
    post_url: str = Field(min_length=1, max_length=2000)
    author: ImAuthor | None = None
    text: str = Field(min_length=1, max_length=20_000)
    municipality: str | None = None
    theme_group: str | None = Field(default=None, max_length=300)
    theme: str | None = Field(default=None, max_length=300)
    importance: str = "Обычная"
    status: str = Field(default="new", max_length=64)
    attachments: list[ImAttachment] = Field(default_factory=list)
    location: ImLocation | None = None
    related_posts: list[str] = Field(default_factory=list)
    # «Причина закрытия»: Автор доволен / нейтрален / недоволен (our contract; as in the export).
    closure_reason: str | None = Field(default=None, max_length=200)


def priority_for(importance: str | None) -> Priority | None:
    """Высокая → high, Обычная and ЛС → normal; anything else → None (invalid)."""
    return PRIORITIES.get((importance or "Обычная").strip().lower())


def close_reason(value: str | None) -> FeedbackDraft | None:
    """«Причина закрытия» (Автор доволен / нейтрален / недоволен) as the citizen's verdict;
    any other reason says nothing about the answer → None."""
    sentiment = CLOSE_REASONS.get((value or "").strip().lower())
    if sentiment is None or value is None:
        return None
    return FeedbackDraft(value=value.strip(), sentiment=sentiment)


def _names(theme: str | None, group: str | None) -> tuple[list[str], str | None]:
    names = [n for n in (theme, group) if n]
    return names, " / ".join(reversed(names)) or None


def draft_from_incident(item: ImIncident) -> TicketDraft:
    """The neutral draft for one IM incident object."""
    priority = priority_for(item.importance)
    if priority is None:
        raise ConnectorPayloadError(
            "importance: expected Высокая, Обычная or ЛС",
            [{"field": "importance", "message": "expected Высокая, Обычная or ЛС", "type": "enum"}],
        )
    names, source_category = _names(item.theme, item.theme_group)
    status_key = item.status.strip().lower()
    extra: dict[str, Any] = {"im_id": str(item.id), "importance": item.importance}
    if item.importance.strip().lower() == "лс":
        extra["private_message"] = True
    if item.network:
        extra["network"] = item.network
    if item.municipality:
        extra["municipality"] = item.municipality
    if item.related_posts:
        extra["related_posts"] = item.related_posts
    if item.closure_reason:
        extra["closure_reason"] = item.closure_reason
    location = item.location or ImLocation()
    author = item.author or ImAuthor()
    return TicketDraft(
        source=NAME,
        source_id=post_url_key(item.post_url),
        kind=Kind.social_post,
        channel=channel_for(item.network, item.post_url),
        text=item.text,
        source_category=source_category,
        category_names=names,
        source_url=item.post_url,
        source_status=item.status,
        source_updated_at=item.updated_at or item.created_at,
        address=location.address,
        lat=location.lat,
        lon=location.lon,
        priority=priority,
        status=STATUS_MAP.get(status_key),
        applicant=ApplicantDraft(full_name=author.name, profile_url=author.profile_url),
        attachments=[a.model_dump(exclude_none=True) for a in item.attachments],
        created_at=item.created_at,
        feedback=close_reason(item.closure_reason),
        extra=extra,
    )


def draft_from_export_row(row: Mapping[str, object], *, tz: ZoneInfo) -> TicketDraft:
    """One row of the «Детализация» export (columns by title) → draft, or ConnectorPayloadError."""
    errors: list[dict[str, Any]] = []
    url = clean(row.get("Урл блога"))
    if not url:
        errors.append({"field": "Урл блога", "message": "required", "type": "missing"})
    created = None
    try:
        created = parse_ru_date(row.get("Дата создания"), tz)
        if created is None:
            errors.append({"field": "Дата создания", "message": "required", "type": "missing"})
    except ValueError as exc:
        errors.append({"field": "Дата создания", "message": str(exc), "type": "date"})
    importance = clean(row.get("Важность")) or "Обычная"
    priority = priority_for(importance)
    if priority is None:
        errors.append(
            {"field": "Важность", "message": "expected Высокая, Обычная or ЛС", "type": "enum"}
        )
    if errors or url is None or created is None or priority is None:
        raise ConnectorPayloadError(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors
        )
    theme, group = clean(row.get("Тема")), clean(row.get("Группа тем"))
    names, source_category = _names(theme, group)
    # The export may lack the post text; then the ticket says what and where, and links it.
    text = clean(row.get("Текст")) or f"{source_category or 'Пост без темы'}: {url}"
    closure = clean(row.get("Причина закрытия"))
    extra: dict[str, Any] = {"importance": importance}
    if importance.lower() == "лс":
        extra["private_message"] = True
    for key, column in (
        ("municipality", "Муниципалитет"),
        ("executor", "Отдел / Исполнитель"),
        ("time_to_answer", "Время до ответа, ч:м:с"),
    ):
        if clean(row.get(column)):
            extra[key] = clean(row.get(column))
    if closure:
        extra["closure_reason"] = closure
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
)


class IncidentManagementConnector:
    """IM: signed pushes of incident objects."""

    name = NAME

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = list(secrets)

    def parse(self, body: bytes) -> TicketDraft:
        try:
            incident = ImIncident.model_validate_json(body)
        except ValidationError as exc:
            raise ConnectorPayloadError.from_validation(exc) from exc
        return draft_from_incident(incident)

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: datetime) -> str:
        return verify_standard_webhook(body, headers, secrets=self.secrets, now=now)
