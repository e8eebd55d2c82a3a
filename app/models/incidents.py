"""Mass incidents (issue 20): one problem over an area and a time window, many tickets under
it, one message fanned out to every linked citizen through each ticket's own source.

Tables: ``incidents`` (the parent), ``incident_tickets`` (links; a ticket is in at most one
incident at a time: unique while ``unlinked_at`` is NULL), ``incident_messages`` (interim and
final texts) and ``incident_deliveries`` (the fan-out ledger: one row per message × ticket, the
primary key is what makes "no citizen gets it twice" hold across retries and late links).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import BigInteger, Column, Identity, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.common import BodyDatetime, RequestBody, ts_field

# A ticket id in a body: anything outside bigint is a 422, never a database error.
TicketId = Annotated[int, PydanticField(ge=1, le=2**63 - 1)]


class IncidentStatus(StrEnum):
    suspected = "suspected"
    confirmed = "confirmed"
    resolving = "resolving"
    resolved = "resolved"
    dismissed = "dismissed"


# Open incidents take new tickets and are counted in appeals_incidents_open{status}.
OPEN_INCIDENT_STATUSES = (
    IncidentStatus.suspected,
    IncidentStatus.confirmed,
    IncidentStatus.resolving,
)


class LinkedBy(StrEnum):
    rule = "rule"
    operator = "operator"


class MessageKind(StrEnum):
    interim = "interim"
    final = "final"


class Incident(SQLModel, table=True):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status", "status", "id"),
        Index(
            "ix_incidents_open_family",
            "family",
            "district_code",
            postgresql_where="status IN ('suspected','confirmed','resolving')",
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    title: str = Field(sa_type=String(300))
    category_code: str = Field(sa_type=String(64), foreign_key="categories.code")
    # app.incidents.surge.problem_of: the category (the fallback one per department), which
    # tickets count as the same problem.
    family: str = Field(sa_type=String(80))
    district_code: str | None = Field(
        default=None, sa_type=String(64), foreign_key="districts.code"
    )
    streets: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    houses: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    departments: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    status: str = Field(default=IncidentStatus.suspected.value, sa_type=String(16))
    opened_by: str = Field(sa_type=String(200))  # "rule" detection or the operator's actor
    window_start_at: datetime = ts_field(nullable=False)
    window_end_at: datetime = ts_field(nullable=False)
    ticket_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Detection's figures when it opened the incident (NULL for an operator's incident).
    detection: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    info_risk_score: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    info_risk: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    expected_resolution_at: datetime | None = ts_field()
    public_message: str | None = Field(default=None, sa_type=Text)
    confirmed_by: str | None = Field(default=None, sa_type=String(200))
    confirmed_at: datetime | None = ts_field()
    closed_by: str | None = Field(default=None, sa_type=String(200))
    closed_at: datetime | None = ts_field()
    closed_reason: str | None = Field(default=None, sa_type=Text)  # why it was dismissed
    split_from_id: int | None = Field(default=None, sa_type=BigInteger, foreign_key="incidents.id")
    created_at: datetime = ts_field(default_now=True)
    updated_at: datetime = ts_field(default_now=True)
    version: int = 1


class IncidentTicket(SQLModel, table=True):
    __tablename__ = "incident_tickets"
    __table_args__ = (
        Index(
            "uq_incident_tickets_active",
            "ticket_id",
            unique=True,
            postgresql_where="unlinked_at IS NULL",
        ),
        Index("ix_incident_tickets_incident", "incident_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    incident_id: int = Field(sa_type=BigInteger, foreign_key="incidents.id")
    ticket_id: int = Field(sa_type=BigInteger, foreign_key="tickets.id")
    linked_by: str = Field(sa_type=String(16))
    linked_actor: str = Field(sa_type=String(200))
    linked_at: datetime = ts_field(nullable=False)
    unlinked_at: datetime | None = ts_field()
    unlinked_by: str | None = Field(default=None, sa_type=String(200))


class IncidentMessage(SQLModel, table=True):
    __tablename__ = "incident_messages"
    __table_args__ = (Index("ix_incident_messages_incident", "incident_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    incident_id: int = Field(sa_type=BigInteger, foreign_key="incidents.id")
    kind: str = Field(sa_type=String(16))
    text: str = Field(sa_type=Text)
    author: str = Field(sa_type=String(200))
    created_at: datetime = ts_field(nullable=False)


class IncidentDelivery(SQLModel, table=True):
    """One message to one ticket, at most once: ``answered`` (a ticket answer, queued to the
    source), ``via_main`` (a merged duplicate told through its main ticket's answer) or
    ``skipped`` (the ticket could not take it, e.g. already answered; ``detail`` says why)."""

    __tablename__ = "incident_deliveries"
    message_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    ticket_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    incident_id: int = Field(sa_type=BigInteger)
    answer_id: int | None = Field(default=None, sa_type=BigInteger)
    outcome: str = Field(sa_type=String(16))
    detail: str | None = Field(default=None, sa_type=String(300))
    created_at: datetime = ts_field(nullable=False)


# --- API schemas -------------------------------------------------------------------------


class IncidentPublic(BaseModel):
    id: int
    title: str
    category_code: str
    family: str
    district_code: str | None
    streets: list[str]
    houses: list[str]
    departments: list[str]
    status: IncidentStatus
    opened_by: str
    window_start_at: datetime
    window_end_at: datetime
    ticket_count: int
    info_risk: bool
    info_risk_score: float
    detection: dict[str, Any] | None
    expected_resolution_at: datetime | None
    public_message: str | None
    confirmed_by: str | None
    confirmed_at: datetime | None
    closed_at: datetime | None
    closed_reason: str | None
    split_from_id: int | None
    created_at: datetime
    updated_at: datetime
    version: int


class IncidentTicketPublic(BaseModel):
    ticket_id: int
    number: str
    source: str
    kind: str
    status: str
    district_code: str | None
    linked_by: LinkedBy
    linked_at: datetime
    unlinked_at: datetime | None


class IncidentMessagePublic(BaseModel):
    id: int
    kind: MessageKind
    text: str
    author: str
    created_at: datetime
    delivered: int = 0  # tickets it was answered to (or told through their main ticket)
    skipped: int = 0


class IncidentDetail(IncidentPublic):
    tickets: list[IncidentTicketPublic]
    messages: list[IncidentMessagePublic]


class IncidentCreate(RequestBody):
    title: str = PydanticField(min_length=1, max_length=300)
    category_code: str = PydanticField(min_length=1, max_length=64)
    district_code: str | None = PydanticField(None, max_length=64)
    ticket_ids: list[TicketId] = PydanticField(default_factory=list, max_length=1000)
    expected_resolution_at: BodyDatetime | None = None


class IncidentConfirm(RequestBody):
    title: str | None = PydanticField(None, min_length=1, max_length=300)
    expected_resolution_at: BodyDatetime | None = None


class IncidentDismiss(RequestBody):
    reason: str | None = PydanticField(None, max_length=1000)


class IncidentTickets(RequestBody):
    ticket_ids: list[TicketId] = PydanticField(min_length=1, max_length=1000)


class IncidentSplit(RequestBody):
    ticket_ids: list[TicketId] = PydanticField(min_length=1, max_length=1000)
    title: str | None = PydanticField(None, min_length=1, max_length=300)


class IncidentMessageCreate(RequestBody):
    kind: MessageKind
    text: str = PydanticField(min_length=1, max_length=4000)
    expected_resolution_at: BodyDatetime | None = None


class IncidentMessageResult(BaseModel):
    incident: IncidentPublic
    message: IncidentMessagePublic
