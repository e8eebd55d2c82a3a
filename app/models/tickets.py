"""Tickets, their applicants (personal data, kept apart), answers, and the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Computed, Identity, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class Applicant(SQLModel, table=True):
    """Personal data (152-ФЗ): only what the answer needs; purged after closure."""

    __tablename__ = "applicants"
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    full_name: str | None = Field(default=None, sa_type=String(300))
    surname: str | None = Field(default=None, sa_type=String(120))
    name: str | None = Field(default=None, sa_type=String(120))
    patronymic: str | None = Field(default=None, sa_type=String(120))
    email: str | None = Field(default=None, sa_type=String(254))
    phone: str | None = Field(default=None, sa_type=String(40))
    post_address: str | None = Field(default=None, sa_type=String(500))
    esia_id: str | None = Field(default=None, sa_type=String(64))
    profile_url: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = ts_field(default_now=True)
    purged_at: datetime | None = ts_field()


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_ticket_source_item"),
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_dept_created", "department_code", "created_at", "id"),
        Index("ix_tickets_status_created", "status", "created_at", "id"),
        Index(
            "ix_tickets_open_due",
            "resolution_due_at",
            postgresql_where="status IN ('new','routed','in_progress','on_hold')",
        ),
        Index("ix_tickets_search", "search", postgresql_using="gin"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    number: str = Field(sa_type=String(32), unique=True)
    source: str = Field(sa_type=String(32))
    source_id: str = Field(sa_type=String(128))
    source_url: str | None = Field(default=None, sa_type=String(1000))
    source_status: str | None = Field(default=None, sa_type=String(64))
    source_updated_at: datetime | None = ts_field()
    kind: str = Field(sa_type=String(32))
    channel: str = Field(sa_type=String(32))
    category_code: str = Field(sa_type=String(64), foreign_key="categories.code", index=True)
    source_category: str | None = Field(default=None, sa_type=String(500))
    text: str = Field(sa_type=Text)
    address: str | None = Field(default=None, sa_type=String(1000))
    lat: float | None = None
    lon: float | None = None
    district_code: str | None = Field(
        default=None, sa_type=String(64), foreign_key="districts.code", index=True
    )
    priority: str = Field(default="normal", sa_type=String(16), index=True)
    status: str = Field(default="new", sa_type=String(16))
    status_reason: str | None = Field(default=None, sa_type=Text)
    redirect_to: str | None = Field(default=None, sa_type=String(500))
    applicant_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="applicants.id", index=True
    )
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    extra: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    department_code: str = Field(sa_type=String(64), foreign_key="departments.code")
    assignee: str | None = Field(default=None, sa_type=String(200))
    first_response_due_at: datetime | None = ts_field()
    resolution_due_at: datetime | None = ts_field()
    legal_due_at: datetime | None = ts_field()
    control_due_at: datetime | None = ts_field()
    # 59-ФЗ art. 8 p. 2 (issue 18): the registration term, and when the appeal was registered.
    registration_due_at: datetime | None = ts_field()
    registered_at: datetime | None = ts_field()
    # SLA (issue 5): the policy applied, a snapshot of its terms, the 75 % moments, and the next
    # moment the sweeper must look at this ticket (NULL: nothing pending).
    sla_policy: str | None = Field(default=None, sa_type=String(100))
    sla_terms: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    first_response_risk_at: datetime | None = ts_field()
    resolution_risk_at: datetime | None = ts_field()
    sla_next_check_at: datetime | None = ts_field()
    # Counted in appeals_tickets_overdue{target="resolution"}: set by the sweeper, cleared by
    # the ticket hook (app.metrics.ticket_series, migration 0019).
    resolution_overdue: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    extension_count: int = 0
    first_responded_at: datetime | None = ts_field()
    answered_at: datetime | None = ts_field()
    closed_at: datetime | None = ts_field()
    on_hold_since: datetime | None = ts_field()
    paused_seconds: int = 0
    duplicate_of_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="tickets.id", index=True
    )
    # Routing (issue 4): when it reached its current department, how often a department sent
    # it on, whether it bounces, its normalised place, and the closed ticket it repeats.
    routed_at: datetime | None = ts_field()
    reroute_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    bouncing: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    address_key: str | None = Field(default=None, sa_type=String(200))
    repeat_of_id: int | None = Field(default=None, sa_type=BigInteger, foreign_key="tickets.id")
    received_at: datetime = ts_field(default_now=True)
    created_at: datetime = ts_field(default_now=True)
    updated_at: datetime = ts_field(default_now=True)
    version: int = 1
    # Full-text search on lemmas (app.tickets.search_text): the text and address as pymorphy3
    # lemmas, written in Python whenever either changes, and its 'simple' tsvector.
    search_text: str | None = Field(default=None, sa_type=Text, exclude=True)
    search: str | None = Field(
        default=None,
        sa_column=Column(
            TSVECTOR,
            Computed("to_tsvector('simple'::regconfig, coalesce(search_text, ''))", persisted=True),
        ),
        exclude=True,
    )


class TicketEvent(SQLModel, table=True):
    """Append-only timeline: who did what, before/after, and why."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "id"),)
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    ticket_id: int = Field(sa_type=BigInteger, foreign_key="tickets.id")
    at: datetime = ts_field(default_now=True)
    actor: str = Field(sa_type=String(200))
    type: str = Field(sa_type=String(48))
    data: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )


class TicketAnswer(SQLModel, table=True):
    """An answer to the citizen, interim or final; delivered to the source by the outbox."""

    __tablename__ = "ticket_answers"
    __table_args__ = (Index("ix_ticket_answers_ticket", "ticket_id", "id"),)
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    ticket_id: int = Field(sa_type=BigInteger, foreign_key="tickets.id")
    kind: str = Field(sa_type=String(16))
    text: str = Field(sa_type=Text)
    author: str = Field(sa_type=String(200))
    created_at: datetime = ts_field(default_now=True)
    delivery_status: str = Field(default="stored", sa_type=String(32))
