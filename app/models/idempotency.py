"""Stored outcomes of POSTs made with an ``Idempotency-Key``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_principal_key"),)
    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(sa_type=String(200))
    key: str = Field(sa_type=String(200))
    request_hash: str = Field(sa_type=String(64))
    status_code: int | None = None
    response_body: Any | None = Field(default=None, sa_column=Column(JSONB))
    created_at: datetime = ts_field(default_now=True)
    completed_at: datetime | None = ts_field()
