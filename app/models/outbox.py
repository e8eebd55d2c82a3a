"""The outbox: messages to the sources and departments, written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, Identity, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class OutboxTarget(StrEnum):
    feedback_platform = "feedback_platform"
    incident_management = "incident_management"
    department_webhook = "department_webhook"
    telegram = "telegram"
    sstu = "sstu"  # the monthly ССТУ.РФ documents (app.connectors.sstu)


class OutboxKind(StrEnum):
    answer = "answer"
    interim_answer = "interim_answer"
    status = "status"
    extension_notice = "extension_notice"
    sla_notification = "sla_notification"
    sstu_document = "sstu_document"  # one appeal's document of a month (ССТУ.РФ)


class OutboxState(StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a relay; ``locked_until`` bounds the claim
    sent = "sent"
    dead = "dead"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            "id",
            postgresql_where="state IN ('pending', 'sending')",
        ),
        Index("ix_outbox_state_id", "state", "id"),
        Index("ix_outbox_ticket", "ticket_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    idempotency_id: str = Field(sa_type=String(120), unique=True)
    target: str = Field(sa_type=String(32))
    kind: str = Field(sa_type=String(32))
    ticket_id: int | None = Field(default=None, sa_type=BigInteger, foreign_key="tickets.id")
    answer_id: int | None = Field(default=None, sa_type=BigInteger, foreign_key="ticket_answers.id")
    department_code: str | None = Field(default=None, sa_type=String(64))
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    state: str = Field(default=OutboxState.pending.value, sa_type=String(16))
    attempts: int = 0
    next_attempt_at: datetime = ts_field(default_now=True)
    locked_until: datetime | None = ts_field()
    last_error: str | None = Field(default=None, sa_type=Text)
    last_status_code: int | None = None
    created_at: datetime = ts_field(default_now=True)
    updated_at: datetime = ts_field(default_now=True)
    sent_at: datetime | None = ts_field()


class OutboxMessagePublic(BaseModel):
    id: int
    idempotency_id: str
    target: str
    kind: str
    ticket_id: int | None
    answer_id: int | None
    department_code: str | None
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status_code: int | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
