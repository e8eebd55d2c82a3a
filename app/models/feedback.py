"""The citizen's reaction to an answer: one record per answer, whatever the source said."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, StrictInt
from sqlalchemy import BigInteger, Column, Identity, Index, String
from sqlmodel import Field, SQLModel

from app.models.common import RequestBody, ts_field


class Sentiment(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"


class TicketFeedback(SQLModel, table=True):
    __tablename__ = "ticket_feedback"
    __table_args__ = (
        # One record per answer; a rating given before any answer is stored against answer 0.
        Index("uq_ticket_feedback_answer", "ticket_id", "answer_key", unique=True),
        Index("ix_ticket_feedback_created", "created_at", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    ticket_id: int = Field(sa_type=BigInteger, foreign_key="tickets.id")
    answer_id: int | None = Field(default=None, sa_type=BigInteger, foreign_key="ticket_answers.id")
    answer_key: int = Field(default=0, sa_type=BigInteger)
    source: str = Field(sa_type=String(32))
    source_value: str = Field(sa_type=String(200))
    sentiment: str = Field(sa_type=String(16))
    score: int | None = None
    department_code: str = Field(sa_type=String(64))
    reopened: bool = False
    actor: str = Field(sa_type=String(200))
    created_at: datetime = ts_field(default_now=True)
    updated_at: datetime = ts_field(default_now=True)


class FeedbackPublic(BaseModel):
    id: int
    ticket_id: int
    answer_id: int | None
    source: str
    source_value: str
    sentiment: Sentiment
    score: int | None
    reopened: bool
    created_at: datetime


class FeedbackCreate(RequestBody):
    """An operator records the citizen's reaction (a call, a visit): a score, a sentiment or
    both; without a sentiment the score decides it."""

    score: StrictInt | None = Field(default=None, ge=1, le=5)
    sentiment: Sentiment | None = None
    source_value: str | None = Field(
        default=None, max_length=200, description="What the citizen said, short (no names)"
    )
