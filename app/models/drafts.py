"""The neutral shape every source is mapped to before it becomes a ticket.

Connectors fill it; the domains read only its neutral fields. ``extra`` keeps the source's own
reference fields as given (stored on the ticket for people reading the record); no domain code
reads a source's field name out of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.models.feedback import Sentiment


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


@dataclass(frozen=True)
class FeedbackDraft:
    """The citizen's verdict on the answer as the source reported it.

    ``value`` is what the source said, verbatim (stored as the feedback's ``source_value``);
    ``score`` is a 1–5 rating where the source rates with a number, else ``sentiment`` is what
    its words mean.
    """

    value: str
    score: int | None = None
    sentiment: Sentiment | None = None


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
    # The source marked the item for a shorter deadline (SLA policies may match on it).
    fast_track: bool = False
    # The answer date the source itself planned; wins over a policy that allows it.
    source_due_at: datetime | None = None
    # The citizen's rating of the answer, when this snapshot carries one.
    feedback: FeedbackDraft | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # the source's own fields, as given
    # Answers already given inside the source: {"key", "at", "kind", "text"}; stored once each.
    source_answers: list[dict[str, Any]] = field(default_factory=list)
