"""The neutral shape every source is mapped to before it becomes a ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ApplicantDraft:
    """Personal data as the source gave it; stored apart from the ticket."""

    full_name: str | None = None
    surname: str | None = None
    name: str | None = None
    patronymic: str | None = None
    email: str | None = None
    phone: str | None = None
    post_address: str | None = None
    esia_id: str | None = None
    profile_url: str | None = None

    def is_empty(self) -> bool:
        return not any(vars(self).values())


@dataclass
class TicketDraft:
    """One source item, normalised. Connectors produce it; ingestion stores it."""

    source: str
    source_id: str
    kind: str
    channel: str
    text: str
    source_category: str | None = None
    # The source's category names, most specific first; ingestion maps them to category_code.
    category_names: list[str] = field(default_factory=list)
    category_code: str | None = None
    source_url: str | None = None
    source_status: str | None = None
    source_updated_at: datetime | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    district_code: str | None = None
    priority: str = "normal"
    status: str | None = None  # a status the source already decided (e.g. rejected)
    status_reason: str | None = None
    redirect_to: str | None = None
    department_code: str | None = None
    applicant: ApplicantDraft | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # answerAt, fastTrack, …
    # Answers already given inside the source: {"key", "at", "kind", "text"}; stored once each.
    source_answers: list[dict[str, Any]] = field(default_factory=list)
