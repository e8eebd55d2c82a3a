"""API keys: stored as SHA-256 hashes with a visible prefix."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(sa_type=String(16), index=True)
    key_hash: str = Field(sa_type=String(64), unique=True)
    name: str = Field(default="", sa_type=String(200))
    role: str = Field(sa_type=String(16))
    department_code: str | None = Field(
        default=None, sa_type=String(64), foreign_key="departments.code"
    )
    created_at: datetime = ts_field(default_now=True)
    revoked_at: datetime | None = ts_field()
