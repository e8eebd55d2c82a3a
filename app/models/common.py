"""Enumerations and column helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict
from sqlalchemy import DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def ts_field(*, nullable: bool = True, index: bool = False, default_now: bool = False) -> Any:
    """A timezone-aware timestamp column (stored as timestamptz, always UTC)."""
    if default_now:
        return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable, index=index)


def _written_as_text(value: object) -> object:
    """A date-time in a request body is an ISO 8601 string: ``1`` is not 1970-01-01T00:00:01."""
    if isinstance(value, bool | int | float):
        raise ValueError("expected an ISO 8601 date-time string")
    return value


# The date-time field of a request body: an ISO 8601 string with its offset (pydantic would
# read a number as Unix seconds; a time without an offset is ambiguous in a city 10 h from UTC).
BodyDatetime = Annotated[AwareDatetime, BeforeValidator(_written_as_text)]


class RequestBody(BaseModel):
    """The base of every JSON request body: an unknown field is refused (422).

    Scalars keep their JSON type: declare booleans and numbers as ``StrictBool``,
    ``StrictInt`` and ``StrictFloat`` (pydantic), so ``0`` is not ``false`` and ``"5"`` is not
    ``5`` (a float still takes an integer). Enums, dates and nested models parse from their
    JSON strings and objects as usual. Webhook bodies of the sources are not request bodies:
    their connectors keep their own tolerance.
    """

    model_config = ConfigDict(extra="forbid")


class Source(StrEnum):
    feedback_platform = "feedback_platform"
    incident_management = "incident_management"
    chatbot = "chatbot"
    open311 = "open311"
    api = "api"


class Kind(StrEnum):
    pos_message = "pos_message"
    fz59_appeal = "fz59_appeal"
    social_post = "social_post"
    anonymous_report = "anonymous_report"
    open311_request = "open311_request"
    direct_request = "direct_request"  # recorded by staff: a phone call, a visit, a letter


class Channel(StrEnum):
    gosuslugi = "gosuslugi"
    vk = "vk"
    ok = "ok"
    telegram = "telegram"
    web = "web"
    phone = "phone"
    email = "email"
    visit = "visit"
    mail = "mail"
    other = "other"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    critical = "critical"


class Status(StrEnum):
    new = "new"
    routed = "routed"
    in_progress = "in_progress"
    on_hold = "on_hold"
    answered = "answered"
    closed = "closed"
    rejected = "rejected"
    merged = "merged"


class Role(StrEnum):
    operator = "operator"
    manager = "manager"
    admin = "admin"
    integration = "integration"


OPEN_STATUSES = frozenset({Status.new, Status.routed, Status.in_progress, Status.on_hold})


# How an SLA term is counted.
class Unit(StrEnum):
    working_hours = "working_hours"
    working_days = "working_days"
    calendar_hours = "calendar_hours"
    calendar_days = "calendar_days"  # counted from the next day, ends at 23:59:59 local

    @property
    def is_working(self) -> bool:
        return self in (Unit.working_hours, Unit.working_days)
