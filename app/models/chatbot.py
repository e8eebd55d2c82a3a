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
    created_at: datetime = ts_field(default_now=True)
    purged_at: datetime | None = ts_field()


class ChatbotUpdate(SQLModel, table=True):
    """An update a chat's report took: Telegram re-sends one it got no 200 for, and a repeat
    changes nothing. A set per chat, not "the highest id": an album's updates arrive at once
    and in any order. Kept ``SEEN_UPDATES_KEPT`` (Telegram stops re-sending after a day)."""

    __tablename__ = "chatbot_updates"
    __table_args__ = (Index("ix_chatbot_updates_received", "received_at"),)

    chat_hash: str = Field(sa_type=String(64), primary_key=True)
    update_id: int = Field(sa_type=BigInteger, primary_key=True)
    ticket_id: int = Field(sa_type=BigInteger, foreign_key="tickets.id")
    received_at: datetime = ts_field(default_now=True)
