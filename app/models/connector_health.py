"""Per-connector health: last success, last failure, failures by reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class ConnectorHealth(SQLModel, table=True):
    __tablename__ = "connector_health"
    connector: str = Field(sa_column=Column(String(64), primary_key=True))
    last_success_at: datetime | None = ts_field()
    last_failure_at: datetime | None = ts_field()
    last_failure_reason: str | None = Field(default=None, sa_type=String(200))
    failures: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
