"""API schemas for tickets: what clients send and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, StrictFloat, StrictInt

from app.models.common import Channel, Kind, Priority, RequestBody, Source, Status

T = TypeVar("T")

TEXT_MAX = 20_000


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page"
    )


class ApplicantIn(RequestBody):
    full_name: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    post_address: str | None = Field(default=None, max_length=500)


class ApplicantPublic(BaseModel):
    """The applicant's contact details: in full for the operators and managers of the ticket's
    department only; everyone else (an admin too, even for a ticket they recorded) gets them
    masked, with `masked` true. They are stored in full either way."""

    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    post_address: str | None = None
    profile_url: str | None = None
    masked: bool = Field(
        description="True when the caller's role sees only masked values: personal data is "
        "shown to operators and managers only (admins and integrations see it masked)"
    )


class TicketCreate(RequestBody):
    """A ticket recorded by staff (source `api`): a phone call, a visit, a letter."""

    text: str = Field(min_length=1, max_length=TEXT_MAX)
    category: str | None = Field(default=None, max_length=64, description="Normalised code")
    channel: Channel = Channel.phone
    kind: Literal[Kind.direct_request, Kind.fz59_appeal] = Kind.direct_request
    priority: Priority = Priority.normal
    address: str | None = Field(default=None, max_length=1000)
    lat: StrictFloat | None = Field(default=None, ge=-90, le=90)
    lon: StrictFloat | None = Field(default=None, ge=-180, le=180)
    district: str | None = Field(default=None, max_length=64)
    department: str | None = Field(
        default=None,
        max_length=64,
        description="Admins may set it; others create in their own department",
    )
    applicant: ApplicantIn | None = None


class TicketUpdate(RequestBody):
    """Editable fields. Status, department and source change through their own endpoints."""

    category: str | None = Field(default=None, max_length=64)
    priority: Priority | None = None
    address: str | None = Field(default=None, max_length=1000)
    lat: StrictFloat | None = Field(default=None, ge=-90, le=90)
    lon: StrictFloat | None = Field(default=None, ge=-180, le=180)
    district: str | None = Field(default=None, max_length=64)


class TicketPublic(BaseModel):
    id: int
    number: str
    source: Source
    source_id: str
    source_url: str | None
    source_status: str | None
    kind: Kind
    channel: Channel
    category: str
    source_category: str | None
    text: str
    address: str | None
    lat: float | None
    lon: float | None
    district: str | None
    priority: Priority
    status: Status
    status_reason: str | None
    redirect_to: str | None
    department: str
    assignee: str | None
    attachments: list[dict[str, Any]]
    applicant: ApplicantPublic | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    legal_due_at: datetime | None
    control_due_at: datetime | None
    registration_due_at: datetime | None = Field(
        default=None, description="59-ФЗ: register by (art. 8 p. 2; moved off a day off)"
    )
    registered_at: datetime | None = Field(default=None, description="59-ФЗ: registered at")
    extension_count: int
    first_responded_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    duplicate_of: int | None
    repeat_of: int | None = Field(
        default=None, description="A ticket closed here in the last 90 days (a repeat problem)"
    )
    reroute_count: int = Field(default=0, description="Times a department sent it on")
    bouncing: bool = Field(default=False, description="Re-routed twice or more")
    overdue: bool
    created_at: datetime
    updated_at: datetime
    version: int


class TransitionRequest(RequestBody):
    to: Status
    reason: str | None = Field(default=None, max_length=4000)
    redirect_to: str | None = Field(
        default=None, max_length=500, description="When rejecting as not ours: the right addressee"
    )
    duplicate_of: StrictInt | None = Field(
        default=None, ge=1, le=2**63 - 1, description="Required when moving to merged"
    )


class CommentCreate(RequestBody):
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class AnswerCreate(RequestBody):
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    kind: Literal["interim", "final"] = "final"


class AnswerPublic(BaseModel):
    id: int
    ticket_id: int
    kind: str
    text: str
    author: str
    created_at: datetime
    delivery_status: str


class AssignmentRequest(RequestBody):
    assignee: str | None = Field(max_length=200, description="null unassigns")


class EventPublic(BaseModel):
    id: int
    ticket_id: int
    at: datetime
    actor: str
    type: str
    data: dict[str, Any]
