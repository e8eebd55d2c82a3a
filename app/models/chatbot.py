"""The anonymous chat-bot's link from a report to its chat: a keyed hash and a sealed chat id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Identity, Index, String, Text
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class ChatbotReport(SQLModel, table=True):
    """One anonymous report. No identity: ``chat_hash`` (HMAC) links follow-ups, and the chat
    id itself is kept only Fernet-encrypted until a set time after closure."""

    __tablename__ = "chatbot_reports"
    __table_args__ = (Index("ix_chatbot_reports_chat", "chat_hash", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    ticket_id: int = Field(sa_type=BigInteger, foreign_key="tickets.id", unique=True)
    chat_hash: str = Field(sa_type=String(64))
    chat_sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Telegram re-sends an update it got no 200 for; update ids only grow, so one already seen
    # is a repeat and changes nothing.
    last_update_id: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = ts_field(default_now=True)
    purged_at: datetime | None = ts_field()
