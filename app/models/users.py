"""Console users: people who sign in to the web console (passwords hashed with argon2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class ConsoleUser(SQLModel, table=True):
    """One person with a login, a role as for API keys, bound to a department."""

    __tablename__ = "console_users"
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(sa_type=String(64), unique=True)
    password_hash: str = Field(sa_type=String(200))
    name: str = Field(default="", sa_type=String(200))
    role: str = Field(sa_type=String(16))
    department_code: str | None = Field(
        default=None, sa_type=String(64), foreign_key="departments.code"
    )
    failed_logins: int = 0
    first_failed_at: datetime | None = ts_field()
    locked_until: datetime | None = ts_field()
    last_login_at: datetime | None = ts_field()
    created_at: datetime = ts_field(default_now=True)
    disabled_at: datetime | None = ts_field()
