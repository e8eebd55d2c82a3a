"""«Инцидент Менеджмент» (IM): the pushed incident object (the export row: ``export.py``).

Assumption (IM has no public API): the webhook body is our own contract (DESIGN.md). The post
URL is the item's identity, because the Excel export carries nothing else («Урл блога»), so a
post imported first and pushed later is one ticket.

Every field is bounded here by what it is stored in, so an item that cannot be stored is
refused at parse time, and so quarantined with its reason, rather than failing in the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from app.connectors.base import ConnectorPayloadError, verify_standard_webhook
from app.connectors.common import (
    INT64_MAX,
    channel_for,
    date_window_errors,
    is_post_url,
    post_url_key,
    storable,
)
from app.models.common import Kind, Priority, Source, Status
from app.models.drafts import ApplicantDraft, FeedbackDraft, TicketDraft
from app.models.feedback import Sentiment

NAME = Source.incident_management.value
# «Группа тем / Тема» is the ticket's source category (500).
THEME_MAX = 240
# Body keys whose whole value is personal data (152-ФЗ): masked wherever a body is shown.
PERSONAL_DATA = frozenset({"author"})

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

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)


class ImAuthor(_Body):
    name: str | None = Field(default=None, max_length=300)
    profile_url: str | None = Field(default=None, max_length=500)


class ImAttachment(_Body):
    url: str = Field(min_length=1, max_length=2000)
    type: str | None = Field(default=None, max_length=32)


class ImLocation(_Body):
    address: str | None = Field(default=None, max_length=1000)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)


class ImIncident(_Body):
    id: (
        Annotated[str, Field(min_length=1, max_length=128)]
        | Annotated[int, Field(ge=0, le=INT64_MAX)]
    )
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None
    network: str | None = Field(default=None, max_length=32)
    post_url: str = Field(min_length=1, max_length=1000)  # the ticket's source link

    @field_validator("post_url")
    @classmethod
    def _a_post_address(cls, value: str) -> str:
        if not is_post_url(value):
            raise ValueError("expected the post's URL (https://…)")
        return value

    author: ImAuthor | None = None
    text: str = Field(min_length=1, max_length=20_000)
    municipality: str | None = Field(default=None, max_length=300)
    theme_group: str | None = Field(default=None, max_length=THEME_MAX)
    theme: str | None = Field(default=None, max_length=THEME_MAX)
    importance: str = Field(default="Обычная", max_length=32)
    status: str = Field(default="new", max_length=64)
    attachments: list[ImAttachment] = Field(default_factory=list, max_length=100)
    location: ImLocation | None = None
    related_posts: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=50
    )
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


def theme_names(theme: str | None, group: str | None) -> tuple[list[str], str | None]:
    """The category names, most specific first, and «group / theme» as the source category."""
    names = [n for n in (theme, group) if n]
    return names, " / ".join(reversed(names)) or None


def date_errors(item: ImIncident, *, now: datetime) -> list[dict[str, Any]]:
    """The post's dates (created_at, updated_at) before 2000 or more than a day ahead of now."""
    dates = {"created_at": item.created_at, "updated_at": item.updated_at}
    return date_window_errors(dates, now=now)


def draft_from_incident(item: ImIncident) -> TicketDraft:
    """The neutral draft for one IM incident object."""
    priority = priority_for(item.importance)
    if priority is None:
        raise ConnectorPayloadError(
            "importance: expected Высокая, Обычная or ЛС",
            [{"field": "importance", "message": "expected Высокая, Обычная or ЛС", "type": "enum"}],
        )
    names, source_category = theme_names(item.theme, item.theme_group)
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


class IncidentManagementConnector:
    """IM: signed pushes of incident objects."""

    name = NAME

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = list(secrets)

    def parse(self, body: bytes, *, now: datetime | None = None) -> TicketDraft:
        try:
            incident = ImIncident.model_validate_json(body)
        except ValidationError as exc:
            raise ConnectorPayloadError.from_validation(exc, body) from exc
        if now is not None and (errors := date_errors(incident, now=now)):
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
            raise ConnectorPayloadError(detail, errors)
        return draft_from_incident(incident)

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: datetime) -> str:
        return verify_standard_webhook(body, headers, secrets=self.secrets, now=now)
