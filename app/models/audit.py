"""The access audit: who read what personal data through a privileged action, and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Identity, String, Text
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class AccessAudit(SQLModel, table=True):
    """One privileged read (e.g. a quarantined delivery's raw body); append-only."""

    __tablename__ = "access_audit"
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    at: datetime = ts_field(nullable=False, index=True)
    actor: str = Field(sa_type=String(200))
    action: str = Field(sa_type=String(64))
    subject: str = Field(sa_type=String(200), index=True)
    reason: str = Field(sa_type=Text)
